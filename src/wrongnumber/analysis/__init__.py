"""Numbers from finished runs: provenance of the runs, Table 1's comparison and verdicts
(comparison.py), the paper's claims and their evidence, complexity, statistics, and each study's
computation (readings, extension, xai, stopping). Imports `plan` and `core`. Returns data that
`artifacts` presents; the exceptions write files of numbers: the xai study's per-run scores
(xai.py) and the reference check's frozen copy (reference.py)."""
