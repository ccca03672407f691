"""What a reader sees: the paper's tables and figures, each study's tables, figures and report
section, and the report itself. Imports the layers below; nothing imports it but the CLI."""
