"""Which early-stopping rule and channel-weight reading does the paper's own data support?

The paper says only that R "stops early, at epoch 9" and C at epoch 13, and never how Grad-CAM's
channel weights meet the loss. `expand` plans C and R under each reading of `cam_weights`, every
seed trained for a fixed horizon without stopping early, keeping every epoch's weights
(config/stopping.yaml). Torch-free: the Snakefile imports it at parse time.
"""
from __future__ import annotations

import itertools

from .runspec import run_name


def horizon_overrides(study: dict) -> dict:
    """What makes a run train the whole horizon: max_epochs = patience = horizon."""
    return {"max_epochs": study["horizon"], "patience": study["horizon"]}


def expand(study: dict, bases: dict[str, dict]) -> list[dict]:
    """Every run: {"dataset", "name", "seed", "variant", "reading"} (reading = the run's
    options without the horizon, e.g. "R+cam_weights=detached")."""
    dataset, base = study["dataset"], bases[study["dataset"]]
    runs = []
    for spec in study["runs"]:
        opts = dict(spec)
        variant = opts.pop("variant")
        reading = run_name(variant, opts, base)
        name = run_name(variant, {**opts, **horizon_overrides(study)}, base)
        runs += [{"dataset": dataset, "name": name, "seed": s, "variant": variant, "reading": reading}
                 for s in study["seeds"]]
    return runs


def rules(study: dict) -> list[dict]:
    """Every early-stopping rule to replay, as {"early_stop_on", "patience", "min_delta"}."""
    grid = study["rules"]
    keys = ("early_stop_on", "patience", "min_delta")
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]
