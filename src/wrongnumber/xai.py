"""Beyond the paper II: the CAM method family, explanation metrics and benchmark reliability.

For every training variant of config/xai.yaml (C, R, focal loss, perturbed samples, and those
combined with R), every CAM method of cam_methods.METHODS is scored on the same test images by
every metric of explain_metrics.METRICS; Krippendorff's alpha (reliability.py) then says, per
metric, how consistently the images rank the methods. `expand` lists the runs to train.
"""
from __future__ import annotations

from .runspec import run_name


def expand(study: dict, bases: dict[str, dict]) -> list[dict]:
    """Every run: {"dataset", "name", "backbone", "seed", "training"} (training = the variant's
    display name in the config)."""
    runs = []
    for dataset in study["datasets"]:
        for training, spec in study["variants"].items():
            opts = dict(spec)
            name = run_name(opts.pop("variant"), opts, bases[dataset])
            runs += [{"dataset": dataset, "name": name, "backbone": study["backbone"], "seed": s,
                      "training": training} for s in study["seeds"]]
    return runs
