# Tables, figures and the report: pure functions of results/ and paper/.


rule complexity:
    input:
        reported=layout.PAPER_REPORTED,  # Table 2's paper numbers: a change reruns the rule
    output:
        layout.COMPLEXITY,
    params:
        backbone=config["backbone"],
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.rule_log("complexity"),
    benchmark:
        layout.rule_benchmark("complexity")
    shell:
        "wrongnumber complexity --backbone {params.backbone} --reported {input.reported} --json --out {output} > {log} 2>&1"


rule resolved_config:
    output:
        layout.CONFIG,
    params:
        text=resolved_config_json(),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.rule_log("resolved_config"),
    shell:
        "printf '%s\\n' {params.text:q} > {output} 2> {log}"


rule tables:
    input:
        reported=layout.PAPER_REPORTED,
        claims=layout.PAPER_CLAIMS,
        complexity=layout.COMPLEXITY,
        metrics=runs(f"{RUN}/{layout.METRICS}"),
        evals=runs(layout.eval_file(RUN)),
    output:
        tables=layout.TABLES_JSON,
        csv=report(layout.table_files(["csv"]), category="Tables", caption="../report/tables.rst"),
        md=layout.table_files(["md"]),
        tex=layout.table_files(["tex"]),
    params:
        runs=runs(),
        evals=runs(layout.eval_dir(RUN)),
        out=lambda wildcards, output: os.path.dirname(output.tables),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.rule_log("tables"),
    benchmark:
        layout.rule_benchmark("tables")
    shell:
        "wrongnumber tables --reported {input.reported} --claims {input.claims} --complexity {input.complexity} "
        "--runs {params.runs} --evals {params.evals} --out-dir {params.out} > {log} 2>&1"


rule figures:
    input:
        reported=layout.PAPER_REPORTED,
        metrics=runs(f"{RUN}/{layout.METRICS}"),
        probes=runs(f"{RUN}/{layout.PROBES}"),
        evals=runs(layout.eval_file(RUN)),
        failures=runs(layout.eval_file(RUN, layout.FAILURES)),
    output:
        manifest=layout.FIGURES_JSON,
        png=[
            report(path, category="Figures", caption=f"../report/{name}.rst", labels={"figure": name})
            for name, path in zip(layout.FIGURE_NAMES, layout.figure_files(["png"]))
        ],
        pdf=layout.figure_files(["pdf"]),
    params:
        runs=runs(),
        evals=runs(layout.eval_dir(RUN)),
        out=lambda wildcards, output: os.path.dirname(output.manifest),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.rule_log("figures"),
    benchmark:
        layout.rule_benchmark("figures")
    shell:
        "wrongnumber figures --reported {input.reported} --runs {params.runs} "
        "--evals {params.evals} --out-dir {params.out} > {log} 2>&1"


rule report:
    input:
        reported=layout.PAPER_REPORTED,
        claims=layout.PAPER_CLAIMS,
        templates=["paper/report.md.j2", "paper/report.html.j2", "paper/report_rows.html.j2"],
        sections=[f"paper/{t}" for s in reported_studies() for t in s.templates],
        tables=layout.TABLES_JSON,
        figures=layout.FIGURES_JSON,
        studies=[s.result for s in reported_studies()],
        config=layout.CONFIG,
        sources=expand("resources/data/{dataset}/SOURCES.json", dataset=DATASETS),
        # every job's benchmark but the studies' and the report's own
        benchmarks=[
            *expand(layout.rule_benchmark("assemble_data/{dataset}"), dataset=DATASETS),
            *runs(layout.benchmark("train")),
            *runs(layout.benchmark("evaluate")),
            *(layout.rule_benchmark(rule) for rule in ("complexity", "tables", "figures")),
        ],
        # the SHA-256 listed: the data and everything the paper's part of the workflow writes
        outputs=[
            *expand("resources/data/{dataset}/{name}", dataset=DATASETS,
                    name=IDX_FILES + ["SOURCES.json"]),
            *layout.paper_outputs(runs()),
        ],
    output:
        html=layout.REPORT_HTML,
        md=layout.REPORT_MD,
        claims=layout.CLAIMS_JSON,  # the verdicts and every input they read
    params:
        templates=lambda wildcards, input: os.path.dirname(input.templates[0]),
        config_names=" ".join(shlex.quote(n) for n in config_names()),
        runs=runs(),
        evals=runs(layout.eval_dir(RUN)),
        out=lambda wildcards, output: os.path.dirname(output.html),
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.rule_log("report"),
    shell:
        "wrongnumber report --reported {input.reported} --claims {input.claims} --templates {params.templates} "
        "--config-names {params.config_names} "
        "--tables {input.tables} --figures {input.figures} --config {input.config} "
        "--runs {params.runs} --evals {params.evals} --sources {input.sources} --studies {input.studies} "
        "--benchmarks {input.benchmarks} --hash {input.outputs} --out-dir {params.out} > {log} 2>&1"
