# Tables, figures and the report: pure functions of results/ and paper/.


rule complexity:
    output:
        "results/complexity.json",
    params:
        backbone=config["backbone"],
    conda:
        "../envs/wrongnumber.yaml"
    log:
        "results/logs/complexity.log",
    benchmark:
        "results/benchmarks/complexity.tsv"
    shell:
        "wrongnumber complexity --backbone {params.backbone} --json --out {output} > {log} 2>&1"


rule resolved_config:
    output:
        "results/config.json",
    params:
        text=resolved_config_json(),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        "results/logs/resolved_config.log",
    shell:
        "printf '%s\\n' {params.text:q} > {output} 2> {log}"


rule tables:
    input:
        reported="paper/reported.yaml",
        claims="paper/claims.yaml",
        complexity="results/complexity.json",
        metrics=runs(f"{RUN}/metrics.json"),
        evals=runs(f"{RUN}/eval/eval.json"),
    output:
        tables="results/tables/tables.json",
        csv=report(
            expand("results/tables/{table}.csv", table=TABLES),
            category="Tables",
            caption="../report/tables.rst",
        ),
        md=expand("results/tables/{table}.md", table=TABLES),
        tex=expand("results/tables/{table}.tex", table=TABLES),
    params:
        runs=runs(),
        evals=runs(f"{RUN}/eval"),
        out=lambda wildcards, output: os.path.dirname(output.tables),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        "results/logs/tables.log",
    benchmark:
        "results/benchmarks/tables.tsv"
    shell:
        "wrongnumber tables --reported {input.reported} --claims {input.claims} --complexity {input.complexity} "
        "--runs {params.runs} --evals {params.evals} --out-dir {params.out} > {log} 2>&1"


rule figures:
    input:
        reported="paper/reported.yaml",
        metrics=runs(f"{RUN}/metrics.json"),
        probes=runs(f"{RUN}/probes.npz"),
        evals=runs(f"{RUN}/eval/eval.json"),
        failures=runs(f"{RUN}/eval/failures.npz"),
    output:
        manifest="results/figures/figures.json",
        png=[
            report(
                f"results/figures/{name}.png",
                category="Figures",
                caption=f"../report/{name}.rst",
                labels={"figure": name},
            )
            for name in FIGURES + EXTRA_FIGURES
        ],
        pdf=expand("results/figures/{name}.pdf", name=FIGURES + EXTRA_FIGURES),
    params:
        runs=runs(),
        evals=runs(f"{RUN}/eval"),
        out=lambda wildcards, output: os.path.dirname(output.manifest),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        "results/logs/figures.log",
    benchmark:
        "results/benchmarks/figures.tsv"
    shell:
        "wrongnumber figures --reported {input.reported} --runs {params.runs} "
        "--evals {params.evals} --out-dir {params.out} > {log} 2>&1"


rule report:
    input:
        reported="paper/reported.yaml",
        claims="paper/claims.yaml",
        templates=["paper/report.md.j2", "paper/report.html.j2", "paper/report_rows.html.j2"],
        sections=[f"paper/section_{s.key}.{ext}.j2" for s in reported_studies()
                  for ext in ("md", "html")],
        tables="results/tables/tables.json",
        figures="results/figures/figures.json",
        studies=[s.result for s in reported_studies()],
        config="results/config.json",
        sources=expand("resources/data/{dataset}/SOURCES.json", dataset=DATASETS),
        benchmarks=[
            *expand("results/benchmarks/assemble_data/{dataset}.tsv", dataset=DATASETS),
            *runs(layout.benchmark("train")),
            *runs(layout.benchmark("evaluate")),
            "results/benchmarks/complexity.tsv",
            "results/benchmarks/tables.tsv",
            "results/benchmarks/figures.tsv",
        ],
        outputs=[
            *expand("resources/data/{dataset}/{name}", dataset=DATASETS,
                    name=IDX_FILES + ["SOURCES.json"]),
            *[f"{r}/{f}" for r in runs() for f in RUN_FILES],
            "results/complexity.json",
            "results/config.json",
            "results/tables/tables.json",
            *expand("results/tables/{table}.{ext}", table=TABLES, ext=["csv", "md", "tex"]),
            "results/figures/figures.json",
            *expand("results/figures/{name}.{ext}", ext=["png", "pdf"],
                    name=FIGURES + EXTRA_FIGURES),
        ],
    output:
        html="results/report/index.html",
        md="results/report/report.md",
        claims="results/report/claims.json",  # the verdicts and every input they read
    params:
        templates=lambda wildcards, input: os.path.dirname(input.templates[0]),
        config_names=" ".join(shlex.quote(n) for n in config_names()),
        runs=runs(),
        evals=runs(f"{RUN}/eval"),
        out=lambda wildcards, output: os.path.dirname(output.html),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        "results/logs/report.log",
    shell:
        "wrongnumber report --reported {input.reported} --claims {input.claims} --templates {params.templates} "
        "--config-names {params.config_names} "
        "--tables {input.tables} --figures {input.figures} --config {input.config} "
        "--runs {params.runs} --evals {params.evals} --sources {input.sources} --studies {input.studies} "
        "--benchmarks {input.benchmarks} --hash {input.outputs} --out-dir {params.out} > {log} 2>&1"
