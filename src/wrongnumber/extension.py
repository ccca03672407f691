"""Beyond the paper I: the 2025 extension's study ("You've Got the Wrong Outfit").

Six seeds (each a different train/validation split and initialisation), several backbones,
and the CAM at two resolutions of one network; per (dataset, variant, backbone) the mean, sd
and 95 % t-interval of accuracy and of the CAM-quality measures (evaluate.CAM_QUALITY), and
R against C by McNemar's test per seed and by paired tests across seeds (stats.py).
`expand` turns config/extension.yaml into the runs to train; `summarise` (below) builds the
study's tables from the finished runs.
"""
from __future__ import annotations

from .runspec import run_name


def backbone_plan(study: dict) -> list[dict]:
    """[{"backbone", "group", "datasets", "seeds", "overrides"}] for the backbone study and the
    feature-map ablation, each entry's per-backbone settings falling back to the study's."""
    plan = []
    for group, entries in (("backbones", study["backbones"]),
                           ("feature_map", study.get("feature_map", {}).get("backbones", {}))):
        for backbone, own in entries.items():
            own = own or {}
            plan.append({"backbone": backbone, "group": group,
                         "datasets": own.get("datasets", study["datasets"]),
                         "seeds": own.get("seeds", study["seeds"]),
                         "overrides": own.get("overrides", {})})
    return plan


def expand(study: dict, bases: dict[str, dict]) -> list[dict]:
    """Every run: {"dataset", "name", "backbone", "seed", "variant"}; a run that two entries
    ask for (the feature-map ablation's 7x7 network is also a backbone) is listed once."""
    runs, seen = [], set()
    for entry in backbone_plan(study):
        for dataset in entry["datasets"]:
            for variant in study["variants"]:
                name = run_name(variant, entry["overrides"], bases[dataset])
                for seed in entry["seeds"]:
                    key = (dataset, name, entry["backbone"], seed)
                    if key not in seen:
                        seen.add(key)
                        runs.append({"dataset": dataset, "name": name, "backbone": entry["backbone"],
                                     "seed": seed, "variant": variant})
    return runs
