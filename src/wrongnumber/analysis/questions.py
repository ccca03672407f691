"""The studies' own questions, beyond the paper's claims, each decided by a rule fixed before
the runs it judges (docs/protocol.md, "The studies' questions"). The answers are the paper's
claims' answers: holds / does not hold / not decided, or not assessed when a question's runs
cannot decide it (unofficial data, or seeds that chose the defaults).

Extension study (the 2025 extension): "R improves on C" per backbone and dataset, and "the finer
CAM tap improves on the coarser" per variant. Each part is one measure's per-seed difference
(paired by seed), a two-sided t-test against 0 as in the claims; all parts of the study are one
Holm family at ALPHA; a part holds when its test rejects in the question's direction and does
not hold when it rejects in the other; a question holds when every part holds and does not
hold when any part does not.

Explanation study (the benchmark-reliability paper): "training T raises Krippendorff's alpha over
C across metrics". Each metric is a part: it holds when T's alpha interval lies wholly above C's,
does not hold when wholly below, else not decided (disjoint intervals: a conservative test). The
question holds when more than half of the metrics hold and none does not; it does not hold when
more than half do not and none holds; otherwise it is not decided.
Torch-free: numpy and scipy only.
"""
from __future__ import annotations

import math
from statistics import fmean

import numpy as np

from . import formatting as f
from .claims import DEFAULT_PROTOCOL, FAILS, HOLDS, NOT_ASSESSED, NOT_DECIDED, _test
from .stats import holm

ALPHA = 0.05                                             # the claims' family level
EXTENSION_MEASURES = ("accuracy", "energy_in_mask", "ssim")  # accuracy and the claims' two CAM measures
SELECTION_SEEDS = frozenset(DEFAULT_PROTOCOL["selection_seeds"])  # chose the defaults: decide nothing


def _why_not_assessed(seeds, official: bool) -> str | None:
    if not official:
        return "unofficial data: not the paper's dataset files"
    used = sorted(SELECTION_SEEDS & set(seeds))
    if used:
        return f"seeds {used} chose the defaults; only held-out seeds decide (docs/protocol.md)"
    if len(seeds) < 2:
        return "a paired test across seeds needs at least 2 seeds"
    return None


def _direction(values: list[float], higher: bool) -> dict:
    """The part's p (two-sided) and the side it would decide: the claims' direction test."""
    return _test({"test": "direction", "claimed": "> 0" if higher else "< 0"}, values, None)


def _combine_all(parts: list[dict]) -> str:
    """Every part holds: holds; any part does not: does not hold (the claims' rule)."""
    v = [p["verdict"] for p in parts]
    if FAILS in v:
        return FAILS
    if v and all(x == HOLDS for x in v):
        return HOLDS
    return NOT_ASSESSED if v and all(x == NOT_ASSESSED for x in v) else NOT_DECIDED


def _majority(parts: list[dict]) -> str:
    """More than half hold and none fails: holds; the mirror image: does not hold."""
    v = [p["verdict"] for p in parts]
    if v and all(x == NOT_ASSESSED for x in v):
        return NOT_ASSESSED
    half = len(v) / 2
    if v.count(HOLDS) > half and FAILS not in v:
        return HOLDS
    if v.count(FAILS) > half and HOLDS not in v:
        return FAILS
    return NOT_DECIDED


# ---- the extension study ----

def _cell_values(cells, dataset, backbone, overrides, variant) -> dict | None:
    """{seed: {measure: value}} of one extension cell, or None when it did not run."""
    for c in cells:
        if (c["dataset"], c["backbone"], c["overrides"], c["variant"]) == (dataset, backbone, overrides, variant):
            return {"official": c["official"],
                    "by_seed": {s: {m: c["per_seed"][m][i] for m in c["per_seed"]} for i, s in enumerate(c["seeds"])}}
    return None


def _paired_part(measure, higher, a, b) -> dict:
    seeds = sorted(set(a["by_seed"]) & set(b["by_seed"]))
    values = [a["by_seed"][s][measure] - b["by_seed"][s][measure] for s in seeds]
    part = {"id": measure, "seeds": seeds, "values": values,
            "mean": fmean(values) if values else math.nan,
            "sd": float(np.std(values, ddof=1)) if len(values) > 1 else math.nan,
            "claimed": "> 0" if higher else "< 0"}
    why = _why_not_assessed(seeds, a["official"] and b["official"])
    if why:
        return {**part, "verdict": NOT_ASSESSED, "reason": why, "p_value": math.nan}
    return {**part, **_direction(values, higher)}


def extension_questions(result: dict) -> list[dict]:
    """The extension's questions from analysis/extension.summarise's result, decided."""
    cells, higher = result["cells"], result["higher_is_better"]
    questions = []
    for t in result["r_vs_c"]:
        r = _cell_values(cells, t["dataset"], t["backbone"], t["overrides"], "R")
        c = _cell_values(cells, t["dataset"], t["backbone"], t["overrides"], "C")
        where = f"{t['backbone']} on {t['dataset']}" + (f" ({t['overrides']})" if t["overrides"] != "none" else "")
        questions.append({"id": f"r_over_c/{t['dataset']}/{t['backbone']}/{t['overrides']}",
                          "question": f"R improves on C: {where} (R − C)",
                          "parts": [_paired_part(m, higher[m], r, c) for m in EXTENSION_MEASURES]})
    for fm in result["feature_map"]:
        coarse, fine = fm["backbones"]
        a = _cell_values(cells, fm["dataset"], fine, fm["overrides"], fm["variant"])
        b = _cell_values(cells, fm["dataset"], coarse, fm["overrides"], fm["variant"])
        # C's loss never reads the CAM, so its accuracy does not depend on the tap: no accuracy part
        measures = [m for m in EXTENSION_MEASURES if fm["variant"] == "R" or m != "accuracy"]
        r1, r0 = fm["resolutions"][1], fm["resolutions"][0]
        questions.append({"id": f"feature_map/{fm['dataset']}/{fm['variant']}/{fm['overrides']}",
                          "question": f"The {r1}x{r1} CAM tap improves on the {r0}x{r0}: {fm['variant']} on "
                                      f"{fm['dataset']} ({fine} − {coarse})",
                          "parts": [_paired_part(m, higher[m], a, b) for m in measures]})
    family = [p for q in questions for p in q["parts"] if p.get("verdict") != NOT_ASSESSED]
    for p, h in zip(family, holm([p["p_value"] for p in family], ALPHA)):
        p["holm"] = h
        p["verdict"] = p["side"] if h["rejected"] and p["side"] else NOT_DECIDED
    for q in questions:
        for p in q["parts"]:
            if "reason" not in p:
                h, d = p["holm"], 2 if p["id"] == "accuracy" else 3
                p["reason"] = (f"{f.pm(p['mean'], p['sd'], d)} over {f.plural(len(p['values']), 'seed')} "
                               f"(claimed {p['claimed']}); {f.p_value(p['p_value'])}, Holm level {h['level']:.2g}")
        q["verdict"] = _combine_all(q["parts"])
        if q["verdict"] == NOT_ASSESSED:
            q["reason"] = q["parts"][0]["reason"]
    return questions


# ---- the explanation study ----

ALPHA_SIDE = {"higher": HOLDS, "lower": FAILS, "overlapping": NOT_DECIDED, "undefined": NOT_ASSESSED}


def xai_questions(result: dict) -> list[dict]:
    """The explanation study's questions from analysis/xai.summarise's result, decided."""
    why = _why_not_assessed(result["seeds"], result.get("official", True))
    questions = []
    for training, cmp in result["comparisons"].items():
        parts = []
        for metric, side in cmp["alpha"].items():
            a, c = result["alpha"][training][metric], result["alpha"][result["reference"]][metric]
            parts.append({"id": metric, "alpha": a["alpha"], "interval": [a["lo"], a["hi"]],
                          "reference_alpha": c["alpha"], "reference_interval": [c["lo"], c["hi"]],
                          "comparison": side, "verdict": NOT_ASSESSED if why else ALPHA_SIDE[side],
                          "reason": f"{a['alpha']:.3f} [{a['lo']:.3f}, {a['hi']:.3f}] against "
                                    f"{c['alpha']:.3f} [{c['lo']:.3f}, {c['hi']:.3f}]: {side}"})
        questions.append({"id": f"alpha/{training}",
                          "question": f"{training} raises benchmark reliability (Krippendorff's alpha) over "
                                      f"{result['reference']} across metrics",
                          "parts": parts, "verdict": NOT_ASSESSED if why else _majority(parts),
                          **({"reason": why} if why else {})})
    return questions
