"""Beyond the paper I: the 2025 extension's study ("You've Got the Wrong Outfit"), its runs.

Six seeds (each a different train/validation split and initialisation), several backbones, and
the CAM at two resolutions of one network (config/extension.yaml). `expand` lists the runs to
train; analysis/extension.py summarises them, artifacts/extension.py presents them.
"""
from __future__ import annotations

from dataclasses import dataclass

from .runspec import run_name


@dataclass(frozen=True)
class Settings:
    """config/extension.yaml's `extension` section."""
    KEY = "extension"
    seeds: list[int]
    datasets: list[str]
    variants: list[str]
    backbones: dict[str, dict | None]        # registry name -> own datasets, seeds, overrides
    feature_map: dict | None = None          # {"backbones": the same network at two CAM resolutions}
    confidence: float = 0.95                 # level of the t-intervals


def backbone_plan(study: Settings) -> list[dict]:
    """[{"backbone", "group", "datasets", "seeds", "overrides"}] for the backbone study and the
    feature-map ablation, each entry's per-backbone settings falling back to the study's."""
    plan = []
    for group, entries in (("backbones", study.backbones),
                           ("feature_map", (study.feature_map or {}).get("backbones", {}))):
        for backbone, own in entries.items():
            own = own or {}
            plan.append({"backbone": backbone, "group": group,
                         "datasets": own.get("datasets", study.datasets),
                         "seeds": own.get("seeds", study.seeds),
                         "overrides": own.get("overrides", {})})
    return plan


def expand(study: Settings, bases: dict[str, dict]) -> list[dict]:
    """Every run: {"dataset", "name", "backbone", "seed", "variant"}; a run that two entries
    ask for (the feature-map ablation's 7x7 network is also a backbone) is listed once."""
    runs, seen = [], set()
    for entry in backbone_plan(study):
        for dataset in entry["datasets"]:
            for variant in study.variants:
                name = run_name(variant, entry["overrides"], bases[dataset])
                for seed in entry["seeds"]:
                    key = (dataset, name, entry["backbone"], seed)
                    if key not in seen:
                        seen.add(key)
                        runs.append({"dataset": dataset, "name": name, "backbone": entry["backbone"],
                                     "seed": seed, "variant": variant})
    return runs


def outputs(study: Settings) -> list[str]:
    """The files artifacts/extension.py writes beside extension.json that the workflow asks for."""
    return [f"summary.{ext}" for ext in ("csv", "md", "tex")] + [f"accuracy_vs_cam.{ext}" for ext in ("png", "pdf")]
