# The studies beyond the paper's tables (wrongnumber.plan.studies), each switched on by its config
# file (config/<study>.yaml). Their runs share the train and evaluate rules and the
# run-name scheme (wrongnumber.plan.runspec), so a run two studies ask for is trained once.


# Train and evaluate every run of the loaded studies, without their tables: `snakemake study_runs`.
rule study_runs:
    input:
        all_study_evals(),


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


# One job per study of wrongnumber.plan.studies: `wrongnumber <key>` with the flags its registry
# entry names, reading the files it names of every run it plans.
for study in STUDIES.values():

    rule:
        name:
            study.key
        input:
            **study_inputs(study),
        output:
            json=study.result,
            files=study.outputs(config)[1:],
        params:
            key=study.key,
            args=study_args(study),
        threads: JOB_THREADS if "device" in study.flags else 1
        localrule: True
        conda:
            "../envs/wrongnumber.yaml"
        log:
            layout.rule_log(study.key),
        benchmark:
            layout.rule_benchmark(study.key)
        shell:
            # one text for every study: the study is bound in params, not read at run time
            "wrongnumber {params.key} {params.args} > {log} 2>&1"
