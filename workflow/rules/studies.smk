# The studies beyond the paper's tables, each switched on by its config file (config/readings.yaml,
# config/extension.yaml, config/xai.yaml). Their runs share the train and evaluate rules and the
# run-name scheme (wrongnumber.plan.runspec), so a run two studies ask for is trained once.


# Train and evaluate every run of the loaded studies, without their tables: `snakemake study_runs`.
rule study_runs:
    input:
        all_study_evals(),


rule readings:
    input:
        config="results/config.json",
        reported="paper/reported.yaml",
        claims="paper/claims.yaml",
        metrics=[f"{r}/metrics.json" for r in study_runs("readings")],
        probes=[f"{r}/probes.npz" for r in study_runs("readings")],
        evals=[f"{r}/eval/eval.json" for r in study_runs("readings")],
        predictions=[f"{r}/eval/predictions.csv" for r in study_runs("readings")],
    output:
        json="results/readings/readings.json",
        ranking=expand("results/readings/ranking.{ext}", ext=["csv", "md", "tex"]),
        plot=expand("results/readings/distances.{ext}", ext=["png", "pdf"]),
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
        "wrongnumber readings --config {input.config} --reported {input.reported} --claims {input.claims} "
        "--runs {params.runs} --evals {params.evals} --out-dir {params.out} > {log} 2>&1"


# Every CAM method scored by every explanation metric on one run's test images (config/xai.yaml).
rule xai_scores:
    input:
        metrics=f"{RUN}/metrics.json",
        model=f"{RUN}/model.pt",
        data=data_files,
    output:
        scores=f"{RUN}/xai/scores.csv.gz",
        maps=f"{RUN}/xai/maps.npz",
        meta=f"{RUN}/xai/scores.json",
        timings=f"{RUN}/xai/timings.json",
    params:
        run=lambda wildcards, input: os.path.dirname(input.metrics),
        out=lambda wildcards, output: os.path.dirname(output.meta),
        data=lambda wildcards, input: os.path.dirname(input.data[0]),
        flags=xai_flags,
        device=config["device"],
        numerics=config["numerics"],
    threads: JOB_THREADS
    resources:
        gpu=config["gpus_per_job"],
        mem_mb=4000,
        runtime=120,
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.log("xai_scores"),
    benchmark:
        layout.benchmark("xai_scores")
    shell:
        "wrongnumber xai-scores --run {params.run} --out {params.out} --data-dir {params.data} "
        "{params.flags} --device {params.device} --threads {threads} --numerics {params.numerics} --claim-gpus {resources.gpu} "
        "> {log} 2>&1"


rule xai:
    input:
        config="results/config.json",
        scores=[f"{r}/xai/scores.json" for r in study_runs("xai")],
        evals=[f"{r}/eval/eval.json" for r in study_runs("xai")],
    output:
        json="results/xai/xai.json",
        alpha=expand("results/xai/alpha.{ext}", ext=["csv", "md", "tex"]),
        grids=[f"results/xai/grid_{t}.{ext}" for t in config.get("xai", {}).get("variants", {})
               for ext in ("png", "pdf")],
    params:
        scores=[f"{r}/xai" for r in study_runs("xai")],
        out=lambda wildcards, output: os.path.dirname(output.json),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        "results/logs/xai.log",
    benchmark:
        "results/benchmarks/xai.tsv"
    shell:
        "wrongnumber xai --config {input.config} --scores {params.scores} --out-dir {params.out} "
        "> {log} 2>&1"


# Every early-stopping rule replayed on the long runs, each (reading, rule) scored (config/stopping.yaml).
rule stopping:
    input:
        config="results/config.json",
        reported="paper/reported.yaml",
        metrics=[f"{r}/metrics.json" for r in study_runs("stopping")],
        data=expand("resources/data/{dataset}/{name}", dataset=config.get("stopping", {}).get("dataset", "mnist"),
                    name=IDX_FILES),
    output:
        json="results/stopping/stopping.json",
        ranking=expand("results/stopping/ranking.{ext}", ext=["csv", "md", "tex"]),
    params:
        runs=study_runs("stopping"),
        out=lambda wildcards, output: os.path.dirname(output.json),
        low_confidence=config["evaluate"]["low_confidence"],
        device=config["device"],
        numerics=config["numerics"],
    threads: JOB_THREADS
    conda:
        "../envs/wrongnumber.yaml"
    log:
        "results/logs/stopping.log",
    benchmark:
        "results/benchmarks/stopping.tsv"
    shell:
        "wrongnumber stopping --config {input.config} --reported {input.reported} --runs {params.runs} "
        "--low-confidence {params.low_confidence} --device {params.device} --threads {threads} --numerics {params.numerics} "
        "--out-dir {params.out} > {log} 2>&1"


rule extension:
    input:
        config="results/config.json",
        metrics=[f"{r}/metrics.json" for r in study_runs("extension")],
        evals=[f"{r}/eval/eval.json" for r in study_runs("extension")],
        predictions=[f"{r}/eval/predictions.csv" for r in study_runs("extension")],
        probes=[f"{r}/probes.npz" for r in study_runs("extension")],
    output:
        json="results/extension/extension.json",
        summary=expand("results/extension/summary.{ext}", ext=["csv", "md", "tex"]),
        plot=expand("results/extension/accuracy_vs_cam.{ext}", ext=["png", "pdf"]),
    params:
        runs=study_runs("extension"),
        evals=[f"{r}/eval" for r in study_runs("extension")],
        out=lambda wildcards, output: os.path.dirname(output.json),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        "results/logs/extension.log",
    benchmark:
        "results/benchmarks/extension.tsv"
    shell:
        "wrongnumber extension --config {input.config} "
        "--runs {params.runs} --evals {params.evals} --out-dir {params.out} > {log} 2>&1"
