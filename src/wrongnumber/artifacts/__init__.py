"""What a reader sees: the paper's tables and figures, each study's tables, figures and report
section, and the report itself. Imports the layers below; nothing below imports it: the entry
points (cli.py, study_io.py) use it, and plan/studies.py names each study's module for them."""
