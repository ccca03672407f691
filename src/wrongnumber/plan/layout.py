"""Where a run's files live under results/: the one statement of the layout.

    results/<dataset>/<run name>/<backbone>/seed<N>/                      a run's folder
    results/logs/<rule>/<dataset>_<run name>_<backbone>_seed<N>.log        its jobs' logs
    results/benchmarks/<rule>/<dataset>_<run name>_<backbone>_seed<N>.tsv  and benchmarks
    results/<study>/<study>.json, its tables and figures                  a study's outputs
    results/{tables,figures,report}/                                      the paper's tables, figures, the report

Run names are runspec.py's (the variant plus any option overrides). The patterns hold
Snakemake's wildcards. Torch-free on purpose: the Snakefile imports it at parse time.
"""
from __future__ import annotations

import re
from pathlib import Path

from .runspec import DATASETS, NAME_REGEX

ROOT = "results"
RUN = ROOT + "/{dataset}/{run_name}/{backbone}/seed{seed}"
PER_RUN_KINDS = {"logs": "log", "benchmarks": "tsv"}  # folder under results/: file extension
# A run folder's files (docs/outputs.md); the evaluation and the explanation scores in their own folders
METRICS, TIMINGS, MODEL, PROBES = "metrics.json", "timings.json", "model.pt", "probes.npz"
CHECKPOINT, EPOCH_STATES = "checkpoint.pt", "epoch_states.pt"  # while training; for `restop`
EVAL_DIR = "eval"
EVAL, PREDICTIONS, FAILURES = "eval.json", "predictions.csv", "failures.npz"  # in EVAL_DIR
XAI_DIR = "xai"
XAI_SCORES, XAI_MAPS, XAI_META = "scores.csv.gz", "maps.npz", "scores.json"  # in XAI_DIR, + TIMINGS
# What a trained and evaluated run holds, relative to its folder (the report hashes every one)
RUN_FILES = (METRICS, TIMINGS, MODEL, PROBES, *(f"{EVAL_DIR}/{f}" for f in (EVAL, PREDICTIONS, FAILURES)))
# The paper's tables and figures (`wrongnumber tables`, `figures`): one file per name and format
TABLE_NAMES = ("table1", "table2", "timing", "fashion", "text", "table1_layout", "low_confidence_sweep")
PAPER_FIGURES = tuple(f"fig{i}" for i in range(1, 9))
# beyond the paper's own: R beside C, each probe's epoch strip, the low-confidence sweep, curves
EXTRA_FIGURES = ("compare_mnist", *(f"strip_{d}" for d in DATASETS), "low_confidence_sweep",
                 *(f"curves_{d}" for d in DATASETS))
FIGURE_NAMES = PAPER_FIGURES + EXTRA_FIGURES
# Outside the run folders
CONFIG = ROOT + "/config.json"          # the resolved workflow config
COMPLEXITY = ROOT + "/complexity.json"  # Table 2's counts
PAPER_REPORTED = "paper/reported.yaml"  # the paper's numbers (the only copy of its facts)
PAPER_CLAIMS = "paper/claims.yaml"      # its claims and the protocol that decides them
TABLES_DIR, FIGURES_DIR, REPORT_DIR = ROOT + "/tables", ROOT + "/figures", ROOT + "/report"
TABLES_JSON, FIGURES_JSON = TABLES_DIR + "/tables.json", FIGURES_DIR + "/figures.json"
REPORT_HTML, REPORT_MD, CLAIMS_JSON = REPORT_DIR + "/index.html", REPORT_DIR + "/report.md", REPORT_DIR + "/claims.json"
_STEM = "{dataset}_{run_name}_{backbone}_seed{seed}"
_STEM_RE = re.compile(rf"^(?P<dataset>{'|'.join(DATASETS)})_(?P<rest>.+)_seed(?P<seed>\d+)\.(?P<ext>log|tsv)$")


def run_dir(dataset: str, name: str, backbone: str, seed: int) -> str:
    return RUN.format(dataset=dataset, run_name=name, backbone=backbone, seed=seed)


def eval_dir(run: str | Path) -> str:
    """A run's evaluation folder (a path or a Snakemake pattern)."""
    return f"{run}/{EVAL_DIR}"


def eval_file(run: str | Path, name: str = EVAL) -> str:
    """A file of a run's evaluation folder, eval.json unless `name` says otherwise."""
    return f"{eval_dir(run)}/{name}"


def xai_dir(run: str | Path) -> str:
    """A run's explanation-scores folder (`wrongnumber xai-scores`)."""
    return f"{run}/{XAI_DIR}"


def run_of(folder: str | Path) -> Path:
    """The run folder an evaluation or explanation-scores folder belongs to."""
    return Path(folder).parent


def root_of(folder: str | Path) -> Path:
    """The workflow's folder (the one holding results/) of a folder directly under results/,
    e.g. results/report."""
    return Path(folder).parents[len(Path(ROOT).parts)]


def study_dir(key: str) -> str:
    """Where study `key` writes its result, tables and figures."""
    return f"{ROOT}/{key}"


def study_result_name(key: str) -> str:
    """The file name of study `key`'s result (what its report section is made from)."""
    return f"{key}.json"


def study_result(key: str) -> str:
    return f"{study_dir(key)}/{study_result_name(key)}"


def rule_log(rule: str) -> str:
    """The log of a job of `rule` that is not per run (e.g. tables, a study, assemble_data/{dataset})."""
    return f"{ROOT}/logs/{rule}.log"


def rule_benchmark(rule: str) -> str:
    """The benchmark of a job of `rule` that is not per run."""
    return f"{ROOT}/benchmarks/{rule}.tsv"


def table_files(exts=("csv", "md", "tex")) -> list[str]:
    """The paper's tables, each in every format of `exts` (table by table)."""
    return [f"{TABLES_DIR}/{t}.{ext}" for t in TABLE_NAMES for ext in exts]


def figure_files(exts=("png", "pdf")) -> list[str]:
    """The paper's figures and ours, every figure in the first format of `exts`, then the next."""
    return [f"{FIGURES_DIR}/{n}.{ext}" for ext in exts for n in FIGURE_NAMES]


def paper_outputs(runs: list[str]) -> list[str]:
    """What the paper's part of the workflow writes under results/ for these run folders: every
    run's files, Table 2's counts, the resolved config, the tables and the figures."""
    return [*(f"{r}/{f}" for r in runs for f in RUN_FILES), COMPLEXITY, CONFIG,
            TABLES_JSON, *table_files(), FIGURES_JSON, *figure_files()]


def frozen(study_keys) -> tuple[str, ...]:
    """Globs (under the workflow's folder) of what freeze-reference commits: no models,
    checkpoints or failure arrays; the studies `study_keys` with every file they write."""
    run = RUN.format(dataset="*", run_name="*", backbone="*", seed="*")
    return (CONFIG, COMPLEXITY,
            f"{run}/{METRICS}", f"{run}/{TIMINGS}", eval_file(run),
            # what the claims' tests read, so every verdict can be recomputed from the repository:
            # the probe CAMs of every epoch and each test image's prediction (McNemar's counts)
            f"{run}/{PROBES}", eval_file(run, PREDICTIONS),
            # and what the xai study's alpha intervals are bootstrapped from (scores, maps, meta)
            f"{xai_dir(run)}/*",
            TABLES_DIR + "/*", FIGURES_DIR + "/*",
            *(study_dir(k) + "/*" for k in study_keys), REPORT_MD, REPORT_HTML, CLAIMS_JSON,
            ROOT + "/benchmarks/**/*.tsv")


def log(rule: str) -> str:
    """The log pattern of a per-run job of `rule`."""
    return f"{ROOT}/logs/{rule}/{_STEM}.log"


def benchmark(rule: str) -> str:
    """The benchmark pattern of a per-run job of `rule`."""
    return f"{ROOT}/benchmarks/{rule}/{_STEM}.tsv"


def run_name_of(run: str | Path) -> str:
    """The run name in a run folder's path (.../<run name>/<backbone>/seed<N>)."""
    return Path(run).parent.parent.name


def name_folders(results: Path, dataset: str) -> list[Path]:
    """The results/<dataset>/<run name>/ folders that exist, sorted."""
    folder = results / dataset
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and re.fullmatch(NAME_REGEX, p.name))


def per_run_files(results: Path, backbones) -> list[tuple[Path, dict]]:
    """(path, {"dataset", "name", "backbone", "seed", "ext"}) of every per-run log and benchmark
    under `results`; the backbone registry's names split '<name>_<backbone>' (both may hold '_')."""
    found = []
    for kind in PER_RUN_KINDS:
        for path in sorted((results / kind).glob("*/*")):
            m = _STEM_RE.match(path.name)
            if not m:
                continue
            for b in sorted(backbones, key=len, reverse=True):
                name = m["rest"][:-len(b) - 1]
                if m["rest"].endswith("_" + b) and re.fullmatch(NAME_REGEX, name):
                    found.append((path, {"dataset": m["dataset"], "name": name, "backbone": b,
                                         "seed": int(m["seed"]), "ext": m["ext"]}))
                    break
    return found


def per_run_file_name(dataset: str, name: str, backbone: str, seed: int, ext: str) -> str:
    return _STEM.format(dataset=dataset, run_name=name, backbone=backbone, seed=seed) + f".{ext}"
