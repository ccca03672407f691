# The studies beyond the paper's tables, each switched on by its config file (config/readings.yaml,
# config/extension.yaml, config/xai.yaml). Their runs share the train and evaluate rules and the
# run-name scheme (wrongnumber.runspec), so a run two studies ask for is trained once.


# Train and evaluate every run of the loaded studies, without their tables: `snakemake study_runs`.
rule study_runs:
    input:
        all_study_evals(),


rule readings:
    input:
        config="results/config.json",
        reported="paper/reported.yaml",
        metrics=[f"{r}/metrics.json" for r in study_runs("readings")],
        evals=[f"{r}/eval/eval.json" for r in study_runs("readings")],
    output:
        json="results/readings/readings.json",
        ranking=expand("results/readings/ranking.{ext}", ext=["csv", "md", "tex"]),
    params:
        runs=study_runs("readings"),
        evals=[f"{r}/eval" for r in study_runs("readings")],
        out=lambda wildcards, output: os.path.dirname(output.json),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        "results/logs/readings.log",
    benchmark:
        "results/benchmarks/readings.tsv"
    shell:
        "wrongnumber readings --config {input.config} --reported {input.reported} "
        "--runs {params.runs} --evals {params.evals} --out-dir {params.out} > {log} 2>&1"
