"""Rename the run folders (and their logs and benchmarks) of results/ after the config's train
defaults change, so that no finished run is trained again under its new name.

Run names are relative to the config (runspec.py): when a default changes, say
`cam_weights: detached` -> `differentiable`, the run `R+cam_weights=differentiable` becomes `R`
and the old `R` becomes `R+cam_weights=detached`. Each folder moves to the name its own options
have under the new config; moves go through temporary names, so a chain (A -> B -> C) never
overwrites a folder. The runs themselves are untouched: their metrics.json records every option.
"""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from . import layout
from .runspec import DATASETS, rename


def plan(results: Path, old_bases: dict, new_bases: dict, backbones) -> list[tuple[Path, Path]]:
    """Every (old path, new path) move: run folders results/<dataset>/<name>/, then the per-run
    logs and benchmarks (layout.py)."""
    moves = []
    for dataset in DATASETS:
        for run in layout.name_folders(results, dataset):
            new = rename(run.name, old_bases[dataset], new_bases[dataset])
            if new != run.name:
                moves.append((run, run.with_name(new)))
    for path, f in layout.per_run_files(results, backbones):
        new = rename(f["name"], old_bases[f["dataset"]], new_bases[f["dataset"]])
        if new != f["name"]:
            moves.append((path, path.with_name(layout.per_run_file_name(**dict(f, name=new)))))
    targets = [new for _, new in moves]
    clash = [str(t) for t in targets if t.exists() and t not in {old for old, _ in moves}]
    if clash or len(set(targets)) != len(targets):
        raise FileExistsError(f"renaming would overwrite {clash or 'a folder twice'}; move those away first")
    return moves


def apply(moves: list[tuple[Path, Path]]) -> None:
    """Two phases (old -> temporary -> new), so that chains of renames are safe."""
    staged = []
    for i, (old, new) in enumerate(moves):
        tmp = old.with_name(f".rename-{i}-{old.name}")
        os.replace(old, tmp)
        staged.append((tmp, new))
    for tmp, new in staged:
        os.replace(tmp, new)


def load_config(files: list[str]) -> dict:
    """Config files (YAML, or the workflow's resolved JSON) merged in --configfile order."""
    return merge_configs([yaml.safe_load(Path(f).read_text()) for f in files])


def merge_configs(parts: list[dict]) -> dict:
    """Config files merged as Snakemake merges `--configfile A B`: nested dicts key by key."""
    def merge(a: dict, b: dict) -> dict:
        for k, v in b.items():
            a[k] = merge(dict(a[k]), v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
        return a
    out: dict = {}
    for part in parts:
        merge(out, part)
    return out
