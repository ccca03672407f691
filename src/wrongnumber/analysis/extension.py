"""Beyond the paper I: the 2025 extension's study ("You've Got the Wrong Outfit"), its statistics.

Per (dataset, variant, backbone) of plan/extension.py's runs the mean, sd and 95 % t-interval
of accuracy and of the CAM-quality measures (core/evaluate.CAM_QUALITY), and R against C by
McNemar's test per seed and by paired tests across seeds (stats.py); plus the feature-map
ablation. artifacts/extension.py presents them.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.evaluate import CAM_QUALITY
from ..core.models import MODELS
from ..plan import layout
from ..plan.extension import Settings, expand
from ..plan.runspec import SEP, overrides_of
from .questions import extension_questions
from .stats import mcnemar, paired_across_seeds
from .stats import summarize as summarize_at


ACCURACY = "accuracy"


def _correct(eval_dir: Path) -> tuple:
    """(test indices, per-sample correctness) from EVAL/predictions.csv."""
    p = pd.read_csv(Path(eval_dir) / layout.PREDICTIONS)
    return p["index"].to_numpy(), (p["label"] == p["prediction"]).to_numpy()


def _values(run) -> dict:
    """One number per measure of a run: accuracy in %, then the eval's CAM-quality means."""
    return {ACCURACY: 100 * run.eval["accuracy"], **run.eval["cam_quality"]}


def summarise(study: Settings, bases: dict, runs) -> dict:
    """Per (dataset, backbone, variant) the summaries of every measure, and per (dataset,
    backbone) R against C: McNemar per shared seed and paired tests across seeds; plus the
    feature-map ablation (the same network with its CAM at two resolutions, per variant).

    `runs`: provenance.Run records of every run of `expand(study, bases)`.
    """
    want = {(r["dataset"], r["name"], r["backbone"], r["seed"]) for r in expand(study, bases)}
    have = {(r.dataset, r.name, r.backbone, r.seed): r for r in runs}
    missing = sorted(want - set(have))
    if missing:
        d, n, b, s = missing[0]
        raise ValueError(f"extension: no finished run {d}/{n}/{b} seed {s} ({len(missing)} missing)")
    cells: dict = {}  # (dataset, backbone, overrides, variant): the overrides pair R with its C
    for key in sorted(want):
        run = have[key]
        cells.setdefault((run.dataset, run.backbone, overrides_of(run.name), run.variant), []).append(run)
    measures = [ACCURACY, *CAM_QUALITY]
    higher = {ACCURACY: True, **{k: v[1] for k, v in CAM_QUALITY.items()}}
    level = study.confidence
    summarize = functools.partial(summarize_at, confidence=level)
    out = {"measures": measures, "higher_is_better": higher, "confidence": level,
           "cells": [], "r_vs_c": [], "feature_map": [], "seconds": {}}
    for (dataset, backbone, over, variant), rs in cells.items():
        rs.sort(key=lambda r: r.seed)
        vals = [_values(r) for r in rs]
        out["cells"].append({
            "dataset": dataset, "backbone": backbone, "variant": variant, "name": rs[0].name,
            "overrides": over.replace(SEP, ", ") or "none",
            "seeds": [r.seed for r in rs], "n_params": rs[0].metrics["n_params"],
            "cam_layer": MODELS[backbone].cam_layer, "official": all(r.metrics["data"]["official"] for r in rs),
            "stopped_epoch": summarize([r.metrics["stopped_epoch"] for r in rs]),
            "train_seconds": summarize([r.timings["total_seconds"] for r in rs]),
            "summary": {m: summarize([v[m] for v in vals]) for m in measures},
            "per_seed": {m: [v[m] for v in vals] for m in measures}})
        out["seconds"][backbone] = out["seconds"].get(backbone, 0.0) + sum(r.timings["total_seconds"] for r in rs)
    runs_by = {k: {r.seed: r for r in v} for k, v in cells.items()}
    for (dataset, backbone, over, variant) in list(runs_by):
        if variant != "R" or (dataset, backbone, over, "C") not in runs_by:
            continue
        r_runs, c_runs = runs_by[(dataset, backbone, over, "R")], runs_by[(dataset, backbone, over, "C")]
        seeds = sorted(set(r_runs) & set(c_runs))
        per_seed = []
        for s in seeds:
            (ir, cr), (ic, cc) = _correct(r_runs[s].eval_dir), _correct(c_runs[s].eval_dir)
            if not np.array_equal(ir, ic):
                raise ValueError(f"{r_runs[s].eval_dir} and {c_runs[s].eval_dir} evaluate different test "
                                 "images; McNemar needs the same images in the same order")
            per_seed.append({"seed": s, **mcnemar(cr, cc)})
        out["r_vs_c"].append({
            "dataset": dataset, "backbone": backbone, "overrides": over.replace(SEP, ", ") or "none",
            "seeds": seeds, "mcnemar": per_seed,
            "paired": {m: paired_across_seeds([_values(r_runs[s])[m] for s in seeds],
                                              [_values(c_runs[s])[m] for s in seeds]) for m in measures}})
    fm = list((study.feature_map or {}).get("backbones", {}))
    if len(fm) == 2:
        coarse, fine = fm
        for (dataset, backbone, over, variant), a in runs_by.items():
            b = runs_by.get((dataset, fine, over, variant))
            if backbone != coarse or not b:
                continue
            seeds = sorted(set(a) & set(b))
            if not seeds:
                raise ValueError(f"extension.feature_map: {dataset} {variant} has {coarse} seeds {sorted(a)} and "
                                 f"{fine} seeds {sorted(b)}, none shared; give both the same seeds")
            out["feature_map"].append({
                "dataset": dataset, "variant": variant, "backbones": [coarse, fine],
                "overrides": over.replace(SEP, ", ") or "none",
                "resolutions": [MODELS[coarse].cam_hw, MODELS[fine].cam_hw], "seeds": seeds,
                "paired": {m: paired_across_seeds([_values(b[s])[m] for s in seeds],
                                                  [_values(a[s])[m] for s in seeds]) for m in measures}})
    out["questions"] = extension_questions(out)
    return out
