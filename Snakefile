# Reproducibility workflow for Ignesti, Martinelli & Moroni (2024), "You've Got the Wrong Number".
#
#   snakemake --cores all                                  # the paper's setup (config/config.yaml, data/)
#   snakemake --cores 2 --configfile config/smoke.yaml     # the tiny end-to-end check
#   snakemake --cores all --configfile config/quick.yaml   # real data, 10 % of MNIST's training set
#
# Every rule calls the `wrongnumber` CLI; see config/README.md for every option.
from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/studies.smk"


rule all:
    input:
        layout.REPORT_HTML,
        layout.REPORT_MD,
    default_target: True
