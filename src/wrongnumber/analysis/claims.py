"""Does the paper reproduce? Each of its claims (paper/claims.yaml) tested on a set of R and C runs.

    verdicts = assess(load(path)["claims"], results)

`results` maps (dataset, variant) -> one `SeedResult` per seed, e.g. {("mnist", "R"): [...],
("mnist", "C"): [...], ("fashion", "R"): [...], ...}; `evidence.from_runs` builds it from run
folders, and any set of R and C runs works (the readings study scores each reading this way).
Each verdict is HOLDS, FAILS or NOT_ASSESSED, with `reason` (the decisive numbers, or why the
claim could not be assessed: unofficial data, missing runs, one seed for a paired test...), the
test's `outcome` on these runs even when not assessed, and `evidence` lines (mean ± sd over
seeds, McNemar per seed, paired t-tests across seeds). Torch-free: numpy and scipy only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean

import numpy as np
import yaml

from . import formatting as f
from .stats import mcnemar, paired_across_seeds, summarize

HOLDS, FAILS, NOT_ASSESSED = "holds", "does not hold", "not assessed"
CAM_MEASURES = {"energy_in_mask": "energy in the digit", "ssim": "SSIM to the input"}  # higher = closer
LATE_EPOCH = 9  # the paper's Figure 3: R after epoch 9, where it stopped


@dataclass(frozen=True)
class SeedResult:
    """What one finished (dataset, variant, seed) run shows, in the units the tests read."""
    seed: int
    official: bool                 # the data are the paper's (SHA-256 of the official files)
    n_test: int
    accuracy: float                # fraction of the test set
    true_low_confidence: int       # correct predictions with max softmax < the threshold
    low_confidence_threshold: float
    stopped_epoch: int
    stopped_early: bool            # False: the run reached max_epochs
    train_seconds: float
    n_params: int
    cam_quality: dict = field(default_factory=dict)    # test-set means, eval.json cam_quality
    train_accuracy: float | None = None                # fraction, at the restored epoch
    probe_epochs: tuple = ()                           # (E,) epochs of the probe CAMs
    probe_quality: dict = field(default_factory=dict)  # CAM_MEASURES name -> (E, 10): epoch x probe
    correct: np.ndarray | None = None                  # per test image, test-index order (McNemar)


class Missing(Exception):
    """A claim needs runs that are not in `results` (its verdict: not assessed)."""


def load(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def assess(claims: list[dict], results: dict) -> list[dict]:
    """One verdict per claim, in the claims' order (see the module docstring)."""
    return [_assess_one(c, results) for c in claims]


def _assess_one(claim: dict, results: dict) -> dict:
    th = {k: v["value"] for k, v in claim.get("thresholds", {}).items()}
    used: list[SeedResult] = []

    def get(dataset: str, variant: str) -> list[SeedResult]:
        runs = results.get((dataset, variant))
        if not runs:
            raise Missing(f"no finished {dataset} {variant} run")
        used.extend(runs)
        return sorted(runs, key=lambda r: r.seed)

    out = {k: claim[k] for k in ("id", "short", "paper", "where")}
    out["test"] = claim["test"].format(**th)
    try:
        outcome, reason, evidence = TESTS[claim["id"]](get, **th)
    except Missing as e:
        return dict(out, verdict=NOT_ASSESSED, reason=str(e), outcome="not computed", evidence=[])
    out.update(outcome=("not computed" if outcome is None else HOLDS if outcome else FAILS),
               evidence=evidence)
    if outcome is None:
        return dict(out, verdict=NOT_ASSESSED, reason=reason)
    unofficial = claim.get("needs_official_data", True) and not all(r.official for r in used)
    if unofficial:
        return dict(out, verdict=NOT_ASSESSED,
                    reason=f"unofficial data; on these runs it {'holds' if outcome else 'does not hold'}: {reason}")
    return dict(out, verdict=HOLDS if outcome else FAILS, reason=reason)


# ---- helpers: per-seed values, their summaries, pairing by seed ----

def _pm(values, unit: str) -> str:
    s = summarize(values)
    return f.spread(s["mean"], s["sd"], s["n"], unit)


def _pairs(a: list[SeedResult], b: list[SeedResult]) -> list[tuple[SeedResult, SeedResult]]:
    by_seed = {r.seed: r for r in b}
    return [(r, by_seed[r.seed]) for r in a if r.seed in by_seed]


def _paired_line(label: str, a: list[float], b: list[float], unit: str) -> str:
    """'R − C energy in the digit: +0.041 (3 seeds), paired t-test p = 0.02'."""
    t = paired_across_seeds(a, b)
    test = f", paired t-test {f.p_value(t['t_test']['p_value'])}" if t["n"] > 1 else ""
    return f"{label}: {f.signed(t['mean_difference'], unit)} ({f.plural(t['n'], 'seed')}){test}"


def _acc(runs: list[SeedResult]) -> list[float]:
    return [100 * r.accuracy for r in runs]


def _mcnemar_line(pairs) -> str | None:
    parts = []
    for r, c in pairs:
        if r.correct is None or c.correct is None or len(r.correct) != len(c.correct):
            return None
        m = mcnemar(r.correct, c.correct)
        parts.append(f"seed {r.seed}: R right/C wrong {m['b']:,}, C right/R wrong {m['c']:,}, {f.p_value(m['p_value'])}")
    return "McNemar per seed (same test images): " + "; ".join(parts) if parts else None


def _probe_at(run: SeedResult, measure: str, epoch: int) -> float:
    """Mean over the probe images of one CAM measure after `epoch`."""
    e = list(run.probe_epochs).index(epoch)
    return float(np.mean(run.probe_quality[measure][e]))


def _needs_probes(runs: list[SeedResult]) -> None:
    if any(not r.probe_epochs for r in runs):
        raise Missing("no probe CAMs (probes.npz) in some run")


# ---- one test per claim: (outcome True/False/None, reason, evidence lines) ----

def similar_accuracy(get, similar_pp: float, dataset: str = "mnist"):
    r, c = get(dataset, "R"), get(dataset, "C")
    diff = fmean(_acc(r)) - fmean(_acc(c))
    pairs = _pairs(r, c)
    evidence = [f"R {_pm(_acc(r), '%')}; C {_pm(_acc(c), '%')}",
                _paired_line("R − C", [100 * a.accuracy for a, _ in pairs], [100 * b.accuracy for _, b in pairs], "pp")]
    evidence += [x for x in [_mcnemar_line(pairs)] if x]
    ok = abs(diff) <= similar_pp + 1e-9
    return ok, f"R − C = {f.signed(diff, 'pp')}, {'within' if ok else 'outside'} ±{f.number(similar_pp, 'pp')}", evidence


def more_low_confidence(get, min_ratio: float):
    r, c = get("mnist", "R"), get("mnist", "C")
    thresholds = {x.low_confidence_threshold for x in r + c}
    if len(thresholds) > 1:
        return None, f"R and C counted at different thresholds {sorted(thresholds)}", []
    per = lambda runs: [1e4 * x.true_low_confidence / x.n_test for x in runs]  # per 10,000: Table 1's scale
    rm, cm = fmean(per(r)), fmean(per(c))
    ratio = rm / cm if cm > 0 else (float("inf") if rm > 0 else 0.0)
    scale = "" if {x.n_test for x in r + c} == {10_000} else \
        f" (counted over {f.number(r[0].n_test, 'images')}, put on the paper's scale)"
    pairs = _pairs(r, c)
    evidence = [f"at threshold {thresholds.pop():g}{scale}: R {_pm(per(r), f.PER_10K)}; C {_pm(per(c), f.PER_10K)}",
                _paired_line("R − C", per([a for a, _ in pairs]), per([b for _, b in pairs]), f.PER_10K)]
    ok = ratio >= min_ratio
    text = "∞" if ratio == float("inf") else f"{ratio:.2g}"
    return ok, f"R has {text}× C's count (needs ≥ {min_ratio:g}×; the paper: 4.0×)", evidence


def stops_earlier(get):
    r, c = get("mnist", "R"), get("mnist", "C")
    evidence = [f"epochs run: R {_pm([x.stopped_epoch for x in r], 'epochs')}; C {_pm([x.stopped_epoch for x in c], 'epochs')}",
                f"training time: R {f.duration(fmean(x.train_seconds for x in r))}; "
                f"C {f.duration(fmean(x.train_seconds for x in c))} (seed means)"]
    if not any(x.stopped_early for x in r + c):
        return None, f"no run stopped early: every run reached its epoch limit ({max(x.stopped_epoch for x in r + c)})", evidence
    pairs = _pairs(r, c)
    evidence.append(_paired_line("R − C epochs", [a.stopped_epoch for a, _ in pairs], [b.stopped_epoch for _, b in pairs], "epochs"))
    er, ec = fmean(x.stopped_epoch for x in r), fmean(x.stopped_epoch for x in c)
    tr, tc = fmean(x.train_seconds for x in r), fmean(x.train_seconds for x in c)
    ok = er < ec and tr < tc
    return ok, (f"R stops after {f.number(er, 'epochs')} vs C {f.number(ec, 'epochs')}; "
                f"trains {f.duration(tr)} vs {f.duration(tc)}"), evidence


def _paired_cam(get_a, get_b, label: str, alpha: float, min_seeds: int, n_pairs: int):
    """Both CAM measures, a (per seed) against b: outcome, reason, evidence."""
    evidence, ok, parts = [], True, []
    for m, name in CAM_MEASURES.items():
        a, b = get_a(m), get_b(m)
        t = paired_across_seeds(a, b)
        evidence.append(_paired_line(f"{label}, {name}", a, b, ""))
        p = t["t_test"]["p_value"]
        ok &= t["mean_difference"] > 0 and n_pairs >= min_seeds and p < alpha
        parts.append(f"{name} {f.signed(t['mean_difference'], '')}"
                     + (f" ({f.p_value(p)})" if n_pairs >= min_seeds else ""))
    if n_pairs < min_seeds:
        return None, (f"{f.plural(n_pairs, 'seed')}: a paired test across seeds needs at least {min_seeds}; "
                      f"{label}: " + ", ".join(parts)), evidence
    return ok, f"{label}: " + ", ".join(parts) + f" (needs > 0 with p < {alpha:g})", evidence


def cam_better_from_epoch1(get, alpha: float, min_seeds: int):
    pairs = _pairs(get("mnist", "R"), get("mnist", "C"))
    _needs_probes([x for p in pairs for x in p])
    first = lambda run: run.probe_epochs[0]
    out, reason, evidence = _paired_cam(
        lambda m: [_probe_at(a, m, first(a)) for a, _ in pairs],
        lambda m: [_probe_at(b, m, first(b)) for _, b in pairs],
        "R − C at epoch 1 (probe CAMs)", alpha, min_seeds, len(pairs))
    for m, name in CAM_MEASURES.items():
        if all(m in x.cam_quality for p in pairs for x in p):
            evidence.append(_paired_line(f"R − C on the whole test set at the restored epoch, {name}",
                                         [a.cam_quality[m] for a, _ in pairs], [b.cam_quality[m] for _, b in pairs], ""))
    return out, reason, evidence


def cam_improves(get, alpha: float, min_seeds: int):
    r = get("mnist", "R")
    _needs_probes(r)
    late = lambda run: min(LATE_EPOCH, run.probe_epochs[-1])
    if any(late(x) == x.probe_epochs[0] for x in r):
        return None, "R ran a single epoch: nothing to improve on", []
    epochs = sorted({late(x) for x in r})
    return _paired_cam(lambda m: [_probe_at(x, m, late(x)) for x in r],
                       lambda m: [_probe_at(x, m, x.probe_epochs[0]) for x in r],
                       f"R's epoch {'/'.join(map(str, epochs))} − epoch 1 (probe CAMs)", alpha, min_seeds, len(r))


def fashion_same_pattern(get, similar_pp: float):
    ok, reason, evidence = similar_accuracy(get, similar_pp, dataset="fashion")
    lower = {v: fmean(_acc(get("fashion", v))) < fmean(_acc(get("mnist", v))) for v in ("R", "C")}
    evidence.append("Fashion-MNIST below MNIST: " + ", ".join(
        f"{v} {f.number(fmean(_acc(get('fashion', v))), '%')} vs {f.number(fmean(_acc(get('mnist', v))), '%')}"
        for v in lower))
    return ok and all(lower.values()), reason + ("" if all(lower.values()) else "; not below MNIST for "
                                                 + ", ".join(v for v, x in lower.items() if not x)), evidence


def fashion_lower_quality_maps(get):
    ssim = {(d, v): fmean(x.cam_quality["ssim"] for x in get(d, v)) for d in ("mnist", "fashion") for v in ("R", "C")}
    lower = {v: ssim[("fashion", v)] < ssim[("mnist", v)] for v in ("R", "C")}
    line = "; ".join(f"{v}: {ssim[('fashion', v)]:.3f} vs {ssim[('mnist', v)]:.3f}" for v in ("R", "C"))
    return all(lower.values()), f"test-set SSIM, Fashion-MNIST vs MNIST: {line}", [f"seed means of eval.json cam_quality.ssim; {line}"]


def same_size(get):
    runs = get("mnist", "R") + get("mnist", "C")
    sizes = {v: sorted({x.n_params for x in get("mnist", v)}) for v in ("R", "C")}
    same = len({x.n_params for x in runs}) == 1
    text = "; ".join(f"{v} " + " and ".join(f.number(s, "parameters", 0) for s in n) for v, n in sizes.items())
    return same, text + (" (the same)" if same else " (they differ)"), [f"metrics.json n_params of every run: {text}"]


def mitigates_overfitting(get, similar_pp: float):
    r, c = get("mnist", "R"), get("mnist", "C")
    if any(x.train_accuracy is None for x in r + c):
        return None, "a run recorded no training accuracy", []
    gap = lambda runs: [100 * (x.train_accuracy - x.accuracy) for x in runs]
    pairs = _pairs(r, c)
    evidence = [f"generalisation gap (training accuracy at the restored epoch − test accuracy): "
                f"R {_pm(gap(r), 'pp')}; C {_pm(gap(c), 'pp')}",
                _paired_line("R − C gap", gap([a for a, _ in pairs]), gap([b for _, b in pairs]), "pp")]
    similar, reason, more = similar_accuracy(get, similar_pp)
    smaller = fmean(gap(r)) < fmean(gap(c))
    return smaller and similar, (f"gap R {f.signed(fmean(gap(r)), 'pp')} vs C {f.signed(fmean(gap(c)), 'pp')}"
                                 f" ({'smaller' if smaller else 'not smaller'}); {reason}"), evidence + more[:1]


TESTS = {fn.__name__: fn for fn in (similar_accuracy, more_low_confidence, stops_earlier, cam_better_from_epoch1,
                                      cam_improves, fashion_same_pattern, fashion_lower_quality_maps, same_size,
                                      mitigates_overfitting)}
