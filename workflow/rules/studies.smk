# The studies beyond the paper's tables, each switched on by its config file (config/readings.yaml,
# config/extension.yaml, config/xai.yaml). Their runs share the train and evaluate rules and the
# run-name scheme (wrongnumber.runspec), so a run two studies ask for is trained once.


# Train and evaluate every run of the loaded studies, without their tables: `snakemake study_runs`.
rule study_runs:
    input:
        all_study_evals(),
