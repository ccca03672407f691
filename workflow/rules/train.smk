# One training job and one evaluation job per (dataset, run name, backbone, seed); the run name
# is the variant plus any option overrides (wrongnumber.plan.runspec), and train_flags spells them out.


rule train:
    input:
        data=data_files,
    output:
        metrics=f"{RUN}/{layout.METRICS}",
        timings=f"{RUN}/{layout.TIMINGS}",
        model=f"{RUN}/{layout.MODEL}",
        probes=f"{RUN}/{layout.PROBES}",
    params:
        run=lambda wildcards, output: os.path.dirname(output.metrics),
        data=lambda wildcards, input: os.path.dirname(input.data[0]),
        flags=train_flags,
        device=config["device"],
        numerics=config["numerics"],
    threads: JOB_THREADS
    # gpu: SLURM's --gpus (plus gpu_model, if a profile sets it); on one machine, the
    # --resources gpu=N budget, and --claim-gpus picks the device. mem_mb and runtime (minutes)
    # are SLURM's --mem and --time; change them per cluster with --set-resources or a profile.
    resources:
        gpu=config["gpus_per_job"],
        mem_mb=8000,
        runtime=720,
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.log("train"),
    benchmark:
        layout.benchmark("train")
    # --resume continues an interrupted job from RUN/checkpoint.pt; a finished job drops the
    # checkpoint, so a forced rerun trains from scratch.
    shell:
        "wrongnumber train --dataset {wildcards.dataset} "
        "--backbone {wildcards.backbone} --seed {wildcards.seed} --data-dir {params.data} "
        "--out {params.run} --device {params.device} --threads {threads} --numerics {params.numerics} "
        "--claim-gpus {resources.gpu} --resume {params.flags} "
        f"> {{log}} 2>&1 && rm -f {{params.run}}/{layout.CHECKPOINT}"


rule evaluate:
    input:
        metrics=f"{RUN}/{layout.METRICS}",
        model=f"{RUN}/{layout.MODEL}",
        data=data_files,
    output:
        eval=layout.eval_file(RUN),
        predictions=layout.eval_file(RUN, layout.PREDICTIONS),
        failures=layout.eval_file(RUN, layout.FAILURES),
    params:
        run=lambda wildcards, input: os.path.dirname(input.metrics),
        out=lambda wildcards, output: os.path.dirname(output.eval),
        data=lambda wildcards, input: os.path.dirname(input.data[0]),
        low_confidence=config["evaluate"]["low_confidence"],
        device=config["device"],
        numerics=config["numerics"],
    threads: JOB_THREADS
    resources:
        gpu=config["gpus_per_job"],
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.log("evaluate"),
    benchmark:
        layout.benchmark("evaluate")
    shell:
        "wrongnumber evaluate --run {params.run} --out {params.out} --data-dir {params.data} "
        "--low-confidence {params.low_confidence} --device {params.device} --threads {threads} --numerics {params.numerics} "
        "--claim-gpus {resources.gpu} > {log} 2>&1"
