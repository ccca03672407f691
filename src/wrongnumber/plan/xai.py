"""Beyond the paper II: the CAM method family, explanation metrics and benchmark reliability; its runs.

For every training variant of config/xai.yaml (C, R, focal loss, perturbed samples, and those
combined with R) one run per seed; analysis/xai.py scores every CAM method of core/cam_methods.py
on the same test images by every metric of core/explain_metrics.py and Krippendorff's alpha
(analysis/reliability.py) says how consistently the images rank the methods;
artifacts/xai.py presents it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .runspec import run_name


@dataclass(frozen=True)
class Settings:
    """config/xai.yaml's `xai` section; the scoring options are `wrongnumber xai-scores`' flags."""
    KEY = "xai"
    datasets: list[str]                      # one: every method and training on the same images
    backbone: str
    seeds: list[int]
    variants: dict[str, dict]                # display name -> {"variant", train-option overrides}
    methods: list[str]
    cam_target: str = "label"
    n_samples: int = 500
    sample_seed: int = 0
    n_steps: int = 28
    baseline: str | float = "black"
    k_percent: float = 20.0
    n_boot: int = 1000
    confidence: float = 0.95
    qualitative: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])


def expand(study: Settings, bases: dict[str, dict]) -> list[dict]:
    """Every run: {"dataset", "name", "backbone", "seed", "training"} (training = the variant's
    display name in the config)."""
    runs = []
    for dataset in study.datasets:
        for training, spec in study.variants.items():
            opts = dict(spec)
            name = run_name(opts.pop("variant"), opts, bases[dataset])
            runs += [{"dataset": dataset, "name": name, "backbone": study.backbone, "seed": s,
                      "training": training} for s in study.seeds]
    return runs


def outputs(study: Settings) -> list[str]:
    """The files artifacts/xai.py writes beside xai.json: the alpha table, one grid per training."""
    return [f"alpha.{ext}" for ext in ("csv", "md", "tex")] + [
        f"grid_{t}.{ext}" for t in study.variants for ext in ("png", "pdf")]
