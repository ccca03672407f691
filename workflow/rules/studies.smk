# The studies beyond the paper's tables, each switched on by its config file (config/readings.yaml,
# config/extension.yaml, config/xai.yaml). Their runs share the train and evaluate rules and the
# run-name scheme (wrongnumber.plan.runspec), so a run two studies ask for is trained once.


# Train and evaluate every run of the loaded studies, without their tables: `snakemake study_runs`.
rule study_runs:
    input:
        all_study_evals(),


rule readings:
    input:
        config=layout.CONFIG,
        reported="paper/reported.yaml",
        claims="paper/claims.yaml",
        metrics=[f"{r}/{layout.METRICS}" for r in study_runs("readings")],
        probes=[f"{r}/{layout.PROBES}" for r in study_runs("readings")],
        evals=[layout.eval_file(r) for r in study_runs("readings")],
        predictions=[layout.eval_file(r, layout.PREDICTIONS) for r in study_runs("readings")],
    output:
        json=layout.study_result("readings"),
        ranking=expand("results/readings/ranking.{ext}", ext=["csv", "md", "tex"]),
        plot=expand("results/readings/distances.{ext}", ext=["png", "pdf"]),
    params:
        runs=study_runs("readings"),
        evals=[layout.eval_dir(r) for r in study_runs("readings")],
        out=lambda wildcards, output: os.path.dirname(output.json),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.rule_log("readings"),
    benchmark:
        layout.rule_benchmark("readings")
    shell:
        "wrongnumber readings --config {input.config} --reported {input.reported} --claims {input.claims} "
        "--runs {params.runs} --evals {params.evals} --out-dir {params.out} > {log} 2>&1"


# Every CAM method scored by every explanation metric on one run's test images (config/xai.yaml).
rule xai_scores:
    input:
        metrics=f"{RUN}/{layout.METRICS}",
        model=f"{RUN}/{layout.MODEL}",
        data=data_files,
    output:
        scores=f"{layout.xai_dir(RUN)}/{layout.XAI_SCORES}",
        maps=f"{layout.xai_dir(RUN)}/{layout.XAI_MAPS}",
        meta=f"{layout.xai_dir(RUN)}/{layout.XAI_META}",
        timings=f"{layout.xai_dir(RUN)}/{layout.TIMINGS}",
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
        config=layout.CONFIG,
        scores=[f"{layout.xai_dir(r)}/{layout.XAI_META}" for r in study_runs("xai")],
        evals=[layout.eval_file(r) for r in study_runs("xai")],
    output:
        json=layout.study_result("xai"),
        alpha=expand("results/xai/alpha.{ext}", ext=["csv", "md", "tex"]),
        grids=[f"results/xai/grid_{t}.{ext}" for t in config.get("xai", {}).get("variants", {})
               for ext in ("png", "pdf")],
    params:
        scores=[layout.xai_dir(r) for r in study_runs("xai")],
        out=lambda wildcards, output: os.path.dirname(output.json),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.rule_log("xai"),
    benchmark:
        layout.rule_benchmark("xai")
    shell:
        "wrongnumber xai --config {input.config} --scores {params.scores} --out-dir {params.out} "
        "> {log} 2>&1"


# Every early-stopping rule replayed on the long runs, each (reading, rule) scored (config/stopping.yaml).
rule stopping:
    input:
        config=layout.CONFIG,
        reported="paper/reported.yaml",
        metrics=[f"{r}/{layout.METRICS}" for r in study_runs("stopping")],
        data=expand("resources/data/{dataset}/{name}", dataset=config.get("stopping", {}).get("dataset", "mnist"),
                    name=IDX_FILES),
    output:
        json=layout.study_result("stopping"),
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
        layout.rule_log("stopping"),
    benchmark:
        layout.rule_benchmark("stopping")
    shell:
        "wrongnumber stopping --config {input.config} --reported {input.reported} --runs {params.runs} "
        "--low-confidence {params.low_confidence} --device {params.device} --threads {threads} --numerics {params.numerics} "
        "--out-dir {params.out} > {log} 2>&1"


rule extension:
    input:
        config=layout.CONFIG,
        metrics=[f"{r}/{layout.METRICS}" for r in study_runs("extension")],
        evals=[layout.eval_file(r) for r in study_runs("extension")],
        predictions=[layout.eval_file(r, layout.PREDICTIONS) for r in study_runs("extension")],
        probes=[f"{r}/{layout.PROBES}" for r in study_runs("extension")],
    output:
        json=layout.study_result("extension"),
        summary=expand("results/extension/summary.{ext}", ext=["csv", "md", "tex"]),
        plot=expand("results/extension/accuracy_vs_cam.{ext}", ext=["png", "pdf"]),
    params:
        runs=study_runs("extension"),
        evals=[layout.eval_dir(r) for r in study_runs("extension")],
        out=lambda wildcards, output: os.path.dirname(output.json),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.rule_log("extension"),
    benchmark:
        layout.rule_benchmark("extension")
    shell:
        "wrongnumber extension --config {input.config} "
        "--runs {params.runs} --evals {params.evals} --out-dir {params.out} > {log} 2>&1"
