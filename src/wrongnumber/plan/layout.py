"""Where a run's files live under results/: the one statement of the layout.

    results/<dataset>/<run name>/<backbone>/seed<N>/                      a run's folder
    results/logs/<rule>/<dataset>_<run name>_<backbone>_seed<N>.log        its jobs' logs
    results/benchmarks/<rule>/<dataset>_<run name>_<backbone>_seed<N>.tsv  and benchmarks

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
_STEM = "{dataset}_{run_name}_{backbone}_seed{seed}"
_STEM_RE = re.compile(rf"^(?P<dataset>{'|'.join(DATASETS)})_(?P<rest>.+)_seed(?P<seed>\d+)\.(?P<ext>log|tsv)$")


def run_dir(dataset: str, name: str, backbone: str, seed: int) -> str:
    return RUN.format(dataset=dataset, run_name=name, backbone=backbone, seed=seed)


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
