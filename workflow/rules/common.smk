# Config validation, wildcard constraints and the helpers the rules share. Rules stay thin:
# they call the `wrongnumber` CLI with flags built here from the validated config.
import json
import os
import shlex

from snakemake.utils import validate

from wrongnumber.plan import layout, numerics, runspec
from wrongnumber.plan.studies import STUDIES
from wrongnumber.plan.runspec import NAME_REGEX, parse_run_name


validate(config, schema="../schemas/config.schema.yaml")

DATASETS = list(runspec.DATASETS)
RUN = layout.RUN
# Intra-op threads of a training, evaluation or scoring job: 1 under portable numerics, whatever
# the machine has (the bits depend on it), so `--cores N` runs N jobs side by side; the config's
# `threads` under native numerics (plan/numerics.py).
JOB_THREADS = numerics.job_threads(config["numerics"], config["threads"])
IDX_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


# With --sdm apptainer every job runs in this image (e.g. the project's image as a .sif file,
# docs/slurm.md); unset, jobs use the calling environment.
container: config.get("container")


# Run by Snakemake itself, never submitted to a cluster: they take seconds, and assemble_data
# may download (compute nodes often have no network). Only train and evaluate go to SLURM. Every
# study's own rule is local too (flagged where studies.smk makes it).
localrules:
    assemble_data,
    complexity,
    resolved_config,
    tables,
    figures,
    report,
    study_runs,


wildcard_constraints:
    dataset="|".join(DATASETS),
    run_name=NAME_REGEX,  # C or R, plus +option=value overrides (wrongnumber.plan.runspec)
    seed=r"\d+",
    backbone=r"[a-z0-9_]+",


def runs(pattern=RUN):
    """One path per (dataset, variant, seed), in a fixed order (a variant is a run name)."""
    return expand(pattern, dataset=DATASETS, run_name=config["variants"],
                  backbone=config["backbone"], seed=config["seeds"])


def data_files(wildcards):
    return expand("resources/data/{dataset}/{name}", dataset=wildcards.dataset, name=IDX_FILES)


def data_source(wildcards):
    """assemble-data flags: a torchvision download or the configured local folders."""
    d = config["data"][wildcards.dataset]
    if d["download"]:
        return "--download-root resources/downloads"
    return f"--train-dir {shlex.quote(d['train_dir'])} --test-dir {shlex.quote(d['test_dir'])}"


def base_options(dataset):
    """The options of a run without overrides: the `train` section plus the dataset's subset."""
    return runspec.base_options(config, dataset)


def train_flags(wildcards):
    """Every training option as an explicit flag: the variant, the config's `train` section and
    the dataset's subset reading, with the run name's overrides applied."""
    opts = base_options(wildcards.dataset)
    variant, overrides = parse_run_name(wildcards.run_name, opts)
    opts.update(overrides, variant=variant)
    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in sorted(opts.items()))
    run = layout.run_dir(wildcards.dataset, wildcards.run_name, wildcards.backbone, wildcards.seed)
    if run in study_runs("stopping"):  # its rules are replayed on every epoch's weights
        flags += " --keep-epoch-states"
    return flags


def config_names():
    """The config files of this run in the order they apply: config/config.yaml, then --configfile's."""
    names = list(dict.fromkeys(os.path.relpath(p) for p in workflow.configfiles))  # given twice: once
    return sorted(names, key=lambda n: n != "config/config.yaml")


def resolved_config_json():
    return json.dumps(config, sort_keys=True)


# ---- the studies beyond the paper's tables (wrongnumber.plan.studies) ----


def run_path(r):
    return layout.run_dir(r["dataset"], r["name"], r.get("backbone", config["backbone"]), r["seed"])


def study_runs(name):
    """Run folders of study `name` (empty when its config is not loaded), in a fixed order."""
    return [run_path(r) for r in STUDIES[name].runs(config)]


def all_study_evals():
    return [layout.eval_file(r) for s in STUDIES for r in study_runs(s)]


def study_inputs(study):
    """A study job's inputs: the config, paper and run files its flags and registry entry name,
    and the data of its runs when it evaluates them itself (a `device` flag)."""
    runs = study_runs(study.key)
    named = {"config": layout.CONFIG, "reported": layout.PAPER_REPORTED, "claims": layout.PAPER_CLAIMS}
    inputs = {f: named[f] for f in study.flags if f in named}
    inputs.update({os.path.basename(f).replace(".", "_"): [f"{r}/{f}" for r in runs] for f in study.reads})
    if "device" in study.flags:
        datasets = sorted({r["dataset"] for r in STUDIES[study.key].runs(config)})
        inputs["data"] = expand("resources/data/{dataset}/{name}", dataset=datasets, name=IDX_FILES)
    return inputs


def study_params(study):
    """A study job's flag values that are not input files (its output folder aside)."""
    runs = study_runs(study.key)
    values = {"runs": runs, "evals": [layout.eval_dir(r) for r in runs],
              "scores": [layout.xai_dir(r) for r in runs],
              "low_confidence": config["evaluate"]["low_confidence"]}
    params = {f: values[f] for f in study.flags if f in values}
    if "device" in study.flags:
        params.update(device=config["device"], numerics=config["numerics"])
    return params


def study_args(study):
    """A params function: the flags of `wrongnumber <key>` from the job's input, output and threads.
    It binds `study` here because Snakemake evaluates a rule's shell expression again when the job
    runs, when a loop variable would name the last study of the loop, not this one."""
    values = study_params(study)

    def args(wildcards, input, output, threads):
        flag = {"config": input.config if "config" in study.flags else None,
                "reported": input.reported if "reported" in study.flags else None,
                "claims": input.claims if "claims" in study.flags else None,
                "out_dir": os.path.dirname(output.json)}
        if "device" in study.flags:
            flag["device"] = f"{values['device']} --threads {threads} --numerics {values['numerics']}"
        text = lambda v: " ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
        return " ".join(f"--{f.replace('_', '-')} {text(flag[f] if f in flag else values[f])}" for f in study.flags)

    return args


def reported_studies():
    """The loaded studies the report shows, each as a section from its result JSON."""
    return [s for s in STUDIES.values() if s.in_report and config.get(s.key)]


def xai_flags(wildcards):
    """The explanation study's scoring options as `wrongnumber xai-scores` flags."""
    x = STUDIES["xai"].settings(config)
    return (f"--methods {' '.join(x.methods)} --n-samples {x.n_samples} "
            f"--sample-seed {x.sample_seed} --cam-target {x.cam_target} --n-steps {x.n_steps} "
            f"--baseline {x.baseline} --k-percent {x.k_percent} "
            f"--qualitative {' '.join(str(i) for i in x.qualitative)}")
