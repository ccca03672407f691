"""Numbers from finished runs: provenance of the runs, the paper's claims and their evidence,
complexity, statistics, and each study's computation (readings, extension, xai, stopping).
Imports `plan` and `core`; returns plain data that `artifacts` presents."""
