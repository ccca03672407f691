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
import re
from pathlib import Path

from .runspec import DATASETS, NAME_REGEX, rename
PER_RUN_FILES = re.compile(rf"^(?P<dataset>{'|'.join(DATASETS)})_(?P<rest>.+)_seed(?P<seed>\d+)\.(?P<ext>log|tsv)$")


def _split_name_backbone(rest: str, backbones) -> tuple[str, str] | None:
    """'<name>_<backbone>' -> (name, backbone) by the registry's names (both may hold '_')."""
    for b in sorted(backbones, key=len, reverse=True):
        if rest.endswith("_" + b) and re.fullmatch(NAME_REGEX, rest[:-len(b) - 1]):
            return rest[:-len(b) - 1], b
    return None


def plan(results: Path, old_bases: dict, new_bases: dict, backbones) -> list[tuple[Path, Path]]:
    """Every (old path, new path) move: run folders results/<dataset>/<name>/, then the per-run
    logs and benchmarks results/{logs,benchmarks}/<rule>/<dataset>_<name>_<backbone>_seed<N>.*"""
    moves = []
    for dataset in DATASETS:
        folder = results / dataset
        if not folder.is_dir():
            continue
        for run in sorted(p for p in folder.iterdir() if p.is_dir() and re.fullmatch(NAME_REGEX, p.name)):
            new = rename(run.name, old_bases[dataset], new_bases[dataset])
            if new != run.name:
                moves.append((run, folder / new))
    for kind in ("logs", "benchmarks"):
        for path in sorted((results / kind).glob("*/*")):
            m = PER_RUN_FILES.match(path.name)
            split = m and _split_name_backbone(m["rest"], backbones)
            if not split:
                continue
            name, backbone = split
            new = rename(name, old_bases[m["dataset"]], new_bases[m["dataset"]])
            if new != name:
                moves.append((path, path.with_name(f"{m['dataset']}_{new}_{backbone}_seed{m['seed']}.{m['ext']}")))
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
