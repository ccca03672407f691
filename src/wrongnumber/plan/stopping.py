"""Which early-stopping rule and channel-weight reading does the paper's own data support? Its runs.

The paper says only that R "stops early, at epoch 9" and C at epoch 13, and never how Grad-CAM's
channel weights meet the loss. `expand` plans C and R under each reading of `cam_weights`, every
seed trained for a fixed horizon without stopping early, keeping every epoch's weights
(config/stopping.yaml); `rules` lists the early-stopping rules analysis/stopping.py replays on
their histories.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from .runspec import run_name


@dataclass(frozen=True)
class Settings:
    """config/stopping.yaml's `stopping` section."""
    KEY = "stopping"
    dataset: str
    seeds: list[int]
    horizon: int                             # epochs every run trains without stopping early
    runs: list[dict]                         # {"variant", train-option overrides}: the readings
    rules: dict[str, list]                   # early_stop_on, patience, min_delta: every combination
    confidence: float = 0.95                 # level of the seed-noise interval


def horizon_overrides(study: Settings) -> dict:
    """What makes a run train the whole horizon: max_epochs = patience = horizon. Its watched
    quantity then only picks which epoch's weights model.pt keeps (the rules replayed use every
    epoch's); it is fixed, so the long runs do not depend on the config's early-stopping default."""
    return {"max_epochs": study.horizon, "patience": study.horizon, "early_stop_on": "total",
            "min_delta": 0.0}


def expand(study: Settings, bases: dict[str, dict]) -> list[dict]:
    """Every run: {"dataset", "name", "seed", "variant", "reading"} (reading = the run's
    options without the horizon, e.g. "R+cam_weights=detached")."""
    dataset, base = study.dataset, bases[study.dataset]
    runs = []
    for spec in study.runs:
        opts = dict(spec)
        variant = opts.pop("variant")
        reading = run_name(variant, opts, base)
        name = run_name(variant, {**opts, **horizon_overrides(study)}, base)
        runs += [{"dataset": dataset, "name": name, "seed": s, "variant": variant, "reading": reading}
                 for s in study.seeds]
    return runs


def rules(study: Settings) -> list[dict]:
    """Every early-stopping rule to replay, as {"early_stop_on", "patience", "min_delta"}."""
    grid = study.rules
    keys = ("early_stop_on", "patience", "min_delta")
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def rule_label(rule: dict) -> str:
    return f"{rule['early_stop_on']}, patience {rule['patience']}, min_delta {rule['min_delta']:g}"


def outputs(study: Settings) -> list[str]:
    """The files artifacts/stopping.py writes beside stopping.json: the ranking."""
    return [f"ranking.{ext}" for ext in ("csv", "md", "tex")]
