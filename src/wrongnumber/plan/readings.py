"""Which reading of the paper reproduces it? The readings study's runs.

A *reading* is one way of filling the paper's gaps for the R variant: which class the CAM
explains (`cam_target`), how the contrastive pair label y is set (`pair_label`), whether the
Grad-CAM channel weights carry gradient (`cam_weights`), the margin m and the weight lambda;
for Fashion-MNIST also what "a subset of 15 %" means (`subset`). `expand` turns the study's
config (config/readings.yaml) into the runs to train; analysis/readings.py holds each reading
against the paper's numbers, artifacts/readings.py ranks them for the reader.

The grid is every combination of its options minus `drop` (the incoherent ones, each with its
reason in the config), then one option at a time from `vary` around every grid reading that
matches an entry of `vary_around` (all of them when it is empty). A variation that cannot
change the run is not trained: the margin only enters Eq. 1 through (1 - y), so with y = 1 for
every pair (`always_similar`) every margin gives the same run, bit for bit
(tests/test_readings.py checks this).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .runspec import DATASETS, run_name


@dataclass(frozen=True)
class Settings:
    """config/readings.yaml's `readings` section."""
    KEY = "readings"
    seeds: list[int]
    grid: dict[str, list]                    # train option -> values; every combination is a reading
    drop: list[dict] = field(default_factory=list)         # [{"when": partial options, "why": text}]
    vary: dict[str, list] = field(default_factory=dict)    # option -> values, one at a time
    vary_around: list[dict] = field(default_factory=list)  # partial options; empty: every reading
    fashion_subsets: list[str] = field(default_factory=lambda: ["train", "pooled", "test"])
    fashion_slips: list[dict] = field(default_factory=list)
    more_seeds: dict | None = None           # {"seeds", "readings"}: extra seeds for those readings
    confidence: float = 0.95                 # level of the seed-noise interval


def inactive(option: str, options: dict) -> str | None:
    """Why varying `option` cannot change a run with these (resolved) options, or None."""
    if option == "margin" and options["pair_label"] == "always_similar":
        return "the margin term (1 - y) max(0, m - d)^2 is 0 when every pair is similar (y = 1)"
    return None


def r_readings(study: Settings, base: dict) -> list[dict]:
    """The R readings as override dicts, in a fixed order: grid readings first, then their
    one-at-a-time variations; readings equal to an earlier one are kept once."""
    grid = study.grid
    keys = list(grid)
    combos = [dict(zip(keys, values)) for values in itertools.product(*grid.values())]
    def matches(combo: dict, partial: dict) -> bool:  # against the resolved options, not the grid's
        return all(dict(base, **combo).get(k) == v for k, v in partial.items())
    out = [c for c in combos if not any(matches(c, d["when"]) for d in study.drop)]
    if not any(run_name("R", c, base) == run_name("R", {}, base) for c in out):
        out.insert(0, {})  # the default reading: the baseline every other one is compared with
    anchors = [c for c in out if not study.vary_around
               or any(matches(c, a) for a in study.vary_around)]
    for combo in anchors:
        for option, values in study.vary.items():
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


def fashion_readings(study: Settings, base: dict) -> list[dict]:
    """Fashion-MNIST-only readings, as override dicts, each run with C and the default R: the
    other readings of "subset of 15 %" (`fashion_subsets`), then the slips a reader could make
    (`fashion_slips`, e.g. MNIST's normalisation at test time), searched for the paper's ~65 %."""
    subsets = [{"subset": s} for s in study.fashion_subsets if s != base["subset"]]
    return subsets + [dict(slip) for slip in study.fashion_slips]


def seeds_of(study: Settings, options: dict, base: dict) -> list[int]:
    """A reading's seeds: the study's, plus `more_seeds.seeds` for the readings it lists (the
    closest ones after a first pass with fewer seeds)."""
    more = study.more_seeds or {}
    name = run_name("R", options, base)
    listed = any(run_name("R", r, base) == name for r in more.get("readings", []))
    return sorted(set(study.seeds) | set(more.get("seeds", []) if listed else []))


def expand(study: Settings, bases: dict[str, dict]) -> list[dict]:
    """Every run of the study: {"dataset", "name", "seed", "role"} with role = "C" (the
    baseline), "R" (an R reading) or "subset" (a Fashion-only reading, C or R).

    `bases[dataset]` = the options of a run without overrides (runspec.parse_run_name's base).
    MNIST: C and every R reading. Fashion: the same, plus C and the default R under every
    `fashion_readings` entry. C runs take every seed any R reading has, for paired differences.
    """
    runs = []
    for dataset in DATASETS:
        base = bases[dataset]
        r_seeds = [(run_name("R", r, base), seeds_of(study, r, base)) for r in r_readings(study, base)]
        all_seeds = sorted({s for _, seeds in r_seeds for s in seeds})
        named = [("C", run_name("C", {}, base), all_seeds)] + [("R", n, seeds) for n, seeds in r_seeds]
        if dataset == "fashion":
            named += [("subset", run_name(v, over, base), study.seeds)
                      for over in fashion_readings(study, base) for v in ("C", "R")]
        runs += [{"dataset": dataset, "name": n, "seed": s, "role": role}
                 for role, n, seeds in named for s in seeds]
    return runs


def outputs(study: Settings) -> list[str]:
    """The files artifacts/readings.py writes beside readings.json: the ranking, the distances plot."""
    return [f"ranking.{ext}" for ext in ("csv", "md", "tex")] + [f"distances.{ext}" for ext in ("png", "pdf")]
