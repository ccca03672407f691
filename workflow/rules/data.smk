# One dataset folder per dataset under resources/data/: the four IDX .gz files and SOURCES.json.


rule assemble_data:
    output:
        idx=expand("resources/data/{{dataset}}/{name}", name=IDX_FILES),
        sources="resources/data/{dataset}/SOURCES.json",
    params:
        out=lambda wildcards, output: os.path.dirname(output.sources),
        source=data_source,
    conda:
        "../envs/wrongnumber.yaml"
    log:
        layout.rule_log("assemble_data/{dataset}"),
    benchmark:
        layout.rule_benchmark("assemble_data/{dataset}")
    shell:
        "wrongnumber assemble-data --dataset {wildcards.dataset} --out {params.out} "
        "{params.source} > {log} 2>&1"
