"""Which reading of the paper reproduces it? The ablation over the paper's open choices.

A *reading* is one way of filling the paper's gaps for the R variant: which class the CAM
explains (`cam_target`), how the contrastive pair label y is set (`pair_label`), whether the
Grad-CAM channel weights carry gradient (`cam_weights`), the margin m and the weight lambda;
for Fashion-MNIST also what "a subset of 15 %" means (`subset`). `expand` turns the study's
config (config/readings.yaml) into the runs to train; `score` (below) holds each reading
against the paper's numbers.

The grid is every combination of its options minus `drop` (the incoherent ones, each with its
reason in the config), then one option at a time from `vary` around every grid reading. A
variation that cannot change the run is not trained: the margin only enters Eq. 1 through
(1 - y), so with y = 1 for every pair (`always_similar`) every margin gives the same run, bit
for bit (tests/test_readings.py checks this).
"""
from __future__ import annotations

import itertools
import math

from .runspec import run_name

DATASETS = ("mnist", "fashion")


def inactive(option: str, options: dict) -> str | None:
    """Why varying `option` cannot change a run with these (resolved) options, or None."""
    if option == "margin" and options["pair_label"] == "always_similar":
        return "the margin term (1 - y) max(0, m - d)^2 is 0 when every pair is similar (y = 1)"
    return None


def readings(study: dict, base: dict) -> list[dict]:
    """The R readings as override dicts, in a fixed order: grid readings first, then their
    one-at-a-time variations; readings equal to an earlier one are kept once."""
    grid = study["grid"]
    keys = list(grid)
    combos = [dict(zip(keys, values)) for values in itertools.product(*grid.values())]
    dropped = [c for c in combos if any(all(c.get(k) == v for k, v in d["when"].items())
                                        for d in study.get("drop", []))]
    out = [c for c in combos if c not in dropped]
    for combo in list(out):
        for option, values in study.get("vary", {}).items():
            for value in values:
                if inactive(option, dict(base, **combo)) is None:
                    out.append(dict(combo, **{option: value}))
    unique, seen = [], set()
    for r in out:
        name = run_name("R", r, base)
        if name not in seen:
            seen.add(name)
            unique.append(r)
    return unique


def expand(study: dict, bases: dict[str, dict]) -> list[dict]:
    """Every run of the study: {"dataset", "name", "seed", "role"} with role = "C" (the
    baseline), "R" (an R reading) or "subset" (a Fashion subset reading, C or R).

    `bases[dataset]` = the options of a run without overrides (runspec.parse_run_name's base).
    MNIST: C and every R reading. Fashion: the same on the base subset reading, plus C and the
    default R on every other subset of `fashion_subsets`.
    """
    runs = []
    for dataset in DATASETS:
        base = bases[dataset]
        names = [("C", run_name("C", {}, base))]
        names += [("R", run_name("R", r, base)) for r in readings(study, base)]
        if dataset == "fashion":
            names += [("subset", run_name(v, {"subset": s}, base))
                      for s in study.get("fashion_subsets", []) if s != base["subset"]
                      for v in ("C", "R")]
        runs += [{"dataset": dataset, "name": n, "seed": s, "role": role}
                 for role, n in names for s in study["seeds"]]
    return runs


def prediction_interval_half_width(sd: float, n: int, confidence: float = 0.95) -> float:
    """Half width of the interval where one more run (the paper's one run) would fall:
    t(1 - a/2, n - 1) * sd * sqrt(1 + 1/n). NaN with fewer than 2 seeds."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    from scipy import stats
    return float(stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * sd * math.sqrt(1 + 1 / n)
