"""Does the paper reproduce? Its claims (paper/claims.yaml) decided by the protocol fixed there.

    spec = load(path)                       # {"protocol": ..., "claims": [...]}
    verdicts = assess(spec["claims"], results, spec["protocol"])

`results` maps (dataset, variant) -> one `SeedResult` per seed ({("mnist", "R"): [...], ...});
`evidence.from_runs` builds it from run folders. Each claim is split into parts, each part one
statistic per seed (the unit of replication; R and C paired by seed) and one test; every
statistical part of every claim is one Holm family (docs/protocol.md). Only the protocol's
decision seeds give a verdict (holds / does not hold / not decided / not assessed, with the
reason); the other seeds present (those that chose the defaults) get the same tests as an
`outcome`, labelled, which decides nothing. `document` writes all of it with the per-seed
inputs it read, and `recompute` rebuilds the verdicts from that document alone.
Torch-free: numpy and scipy only.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from statistics import fmean

import numpy as np
import yaml

from . import formatting as f
from .stats import holm, mcnemar, mcnemar_counts, power_t, power_tost, seeds_needed, t_against, tost

HOLDS, FAILS, NOT_DECIDED, NOT_ASSESSED = "holds", "does not hold", "not decided", "not assessed"
NOT_COMPUTED = "not computed"
CAM_MEASURES = {"energy_in_mask": "energy in the digit", "ssim": "SSIM to the input"}  # higher = closer
LATE_EPOCH = 9  # the paper's Figure 3: R after epoch 9, where it stopped
STATISTICAL = ("direction", "equivalence", "noninferiority")


@dataclass(frozen=True)
class SeedResult:
    """What one finished (dataset, variant, seed) run shows, in the units the tests read."""
    seed: int
    official: bool                 # the data are the paper's (SHA-256 of the official files)
    n_test: int
    accuracy: float                # fraction of the test set
    true_low_confidence: int       # correct predictions with max softmax < the threshold
    low_confidence_threshold: float
    stopped_epoch: int             # epochs run
    stopped_early: bool            # False: the run reached max_epochs
    train_seconds: float
    n_params: int
    best_epoch: int | None = None  # the restored epoch
    threads: int | None = None     # threads the training used (metrics.json)
    timing: str | None = None      # what timed it: device, CPU model, threads of the timing process
    cam_quality: dict = field(default_factory=dict)    # test-set means, eval.json cam_quality
    train_accuracy_eval: float | None = None           # eval mode, restored weights, own training split
    train_loss_eval: float | None = None               # cross-entropy, the same
    test_loss: float | None = None                     # cross-entropy on the test set
    probe_epochs: tuple = ()                           # (E,) epochs of the probe CAMs
    probe_quality: dict = field(default_factory=dict)  # CAM_MEASURES name -> (E, 10): epoch x probe
    correct: np.ndarray | None = None                  # per test image, test-index order (McNemar)
    mcnemar_vs_c: tuple | None = None                  # (b, c) against C of this seed, when `correct` is gone


class Missing(Exception):
    """A part needs inputs that are not there (its verdict: not assessed, with this reason)."""


def load(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


# ---- the statistics: one number per seed, paired by seed ----

def _group(results, dataset, variant, seeds=None) -> dict[int, SeedResult]:
    runs = results.get((dataset, variant)) or []
    if not runs:
        raise Missing(f"no finished {dataset} {variant} run")
    return {r.seed: r for r in runs if seeds is None or r.seed in seeds}


def _need(runs, attr: str, what: str):
    if any(getattr(r, attr) in (None, (), {}) for r in runs):
        raise Missing(f"a run has no {what}")


def _probe(run: SeedResult, measure: str, epoch: int) -> float:
    """Mean over the probe images of one CAM measure after `epoch`."""
    return float(np.mean(run.probe_quality[measure][list(run.probe_epochs).index(epoch)]))


def _late(run: SeedResult) -> int:
    return min(LATE_EPOCH, run.probe_epochs[-1])


def _timing_key(runs) -> str:
    """R and C timed alike: by their own training process, same device, CPU and threads."""
    for r in runs:
        if r.timing is None or r.threads is None:
            raise Missing("a run's timings.json does not say what timed it")
        if f"({r.threads} thread" not in r.timing and "thread" in r.timing:
            raise Missing(f"seed {r.seed}: timed by another process than its training "
                          f"(timings: {r.timing}; training used {r.threads} thread(s))")
    kinds = sorted({r.timing for r in runs})
    if len(kinds) > 1:
        raise Missing("R and C timed under different conditions: " + " vs ".join(kinds))
    return kinds[0]


# name -> (unit, the (dataset, variant) groups it reads, per-seed value from {group: run})
def _diff(dataset, value, unit):
    return unit, ((dataset, "R"), (dataset, "C")), lambda g: value(g[(dataset, "R")]) - value(g[(dataset, "C")])


def _ink(variant):
    return ("", (("fashion", variant), ("mnist", variant)),
            lambda g: g[("fashion", variant)].cam_quality["energy_above_uniform"]
            - g[("mnist", variant)].cam_quality["energy_above_uniform"])


STATISTICS = {
    "mnist_accuracy": _diff("mnist", lambda r: 100 * r.accuracy, "pp"),
    "fashion_accuracy": _diff("fashion", lambda r: 100 * r.accuracy, "pp"),
    "low_confidence": _diff("mnist", lambda r: 1e4 * r.true_low_confidence / r.n_test, f.PER_10K),
    "epochs_run": _diff("mnist", lambda r: r.stopped_epoch, "epochs"),
    "train_time": _diff("mnist", lambda r: r.train_seconds / 60, "min"),
    "mnist_epoch1_energy": _diff("mnist", lambda r: _probe(r, "energy_in_mask", r.probe_epochs[0]), ""),
    "mnist_epoch1_ssim": _diff("mnist", lambda r: _probe(r, "ssim", r.probe_epochs[0]), ""),
    "fashion_epoch1_energy": _diff("fashion", lambda r: _probe(r, "energy_in_mask", r.probe_epochs[0]), ""),
    "fashion_epoch1_ssim": _diff("fashion", lambda r: _probe(r, "ssim", r.probe_epochs[0]), ""),
    "mnist_improve_energy": ("", (("mnist", "R"),), lambda g: _probe(g[("mnist", "R")], "energy_in_mask", _late(g[("mnist", "R")]))
                             - _probe(g[("mnist", "R")], "energy_in_mask", g[("mnist", "R")].probe_epochs[0])),
    "mnist_improve_ssim": ("", (("mnist", "R"),), lambda g: _probe(g[("mnist", "R")], "ssim", _late(g[("mnist", "R")]))
                           - _probe(g[("mnist", "R")], "ssim", g[("mnist", "R")].probe_epochs[0])),
    "fashion_minus_mnist_R": _ink("R"),
    "fashion_minus_mnist_C": _ink("C"),
    "accuracy_gap": _diff("mnist", lambda r: 100 * (r.train_accuracy_eval - r.accuracy), "pp"),
    "loss_gap": _diff("mnist", lambda r: r.test_loss - r.train_loss_eval, ""),
    "n_params": ("parameters", (("mnist", "R"), ("mnist", "C")), None),
}
NEEDS = {  # statistic -> (SeedResult field, what it is) every run it reads must have
    "mnist_epoch1_energy": ("probe_epochs", "probe CAMs (probes.npz)"), "mnist_epoch1_ssim": ("probe_epochs", "probe CAMs (probes.npz)"),
    "fashion_epoch1_energy": ("probe_epochs", "probe CAMs (probes.npz)"), "fashion_epoch1_ssim": ("probe_epochs", "probe CAMs (probes.npz)"),
    "mnist_improve_energy": ("probe_epochs", "probe CAMs (probes.npz)"), "mnist_improve_ssim": ("probe_epochs", "probe CAMs (probes.npz)"),
    "accuracy_gap": ("train_accuracy_eval", "eval-mode training accuracy (eval.json train_accuracy_eval)"),
    "loss_gap": ("train_loss_eval", "eval-mode training loss (eval.json train_loss_eval)"),
}


def per_seed(name: str, results: dict, seeds: list[int] | None) -> dict:
    """{"seeds", "values", "unit", "groups", "seconds_per_seed"} of statistic `name` on `seeds`
    (all must be present in every group it reads; None: the seeds every group shares)."""
    unit, groups, value = STATISTICS[name]
    by = {g: _group(results, *g) for g in groups}
    have = set.intersection(*(set(runs) for runs in by.values()))
    if seeds is not None:
        missing = sorted(set(seeds) - have)
        if missing:
            raise Missing(f"decision seeds {', '.join(map(str, missing))} not run")
        have = set(seeds)
    order = sorted(have)
    runs = [by[g][s] for g in groups for s in order]
    if not runs:
        raise Missing("no seed that every run group shares")
    if name in NEEDS:
        _need(runs, *NEEDS[name])
    if name in ("fashion_minus_mnist_R", "fashion_minus_mnist_C") and any("energy_above_uniform" not in r.cam_quality for r in runs):
        raise Missing("a run has no ink-normalised CAM score (eval.json cam_quality.energy_above_uniform)")
    if name == "low_confidence" and len({r.low_confidence_threshold for r in runs}) > 1:
        raise Missing(f"R and C counted at different thresholds {sorted({r.low_confidence_threshold for r in runs})}")
    if name == "mnist_improve_energy" or name == "mnist_improve_ssim":
        if any(_late(r) == r.probe_epochs[0] for r in runs):
            raise Missing("R ran a single epoch: nothing to improve on")
    timing = _timing_key(runs) if name == "train_time" else None
    values = [] if value is None else [float(value({g: by[g][s] for g in groups})) for s in order]
    seconds = sum(fmean(by[g][s].train_seconds for s in order) for g in groups)
    return {"seeds": order, "values": values, "unit": unit, "groups": ["/".join(g) for g in groups],
            "seconds_per_seed": seconds, "timing": timing,
            "params": sorted({r.n_params for r in runs}) if value is None else None}


# ---- one part: its test, p for the family, its verdict at a Holm level ----

def _margin(part: dict, factor: float = 1.0) -> float:
    return part["margin"]["value"] * factor


def _test(part: dict, values: list[float], margin: float | None) -> dict:
    """p of the part for the family and the side its smaller alternative takes (holds/fails)."""
    kind = part["test"]
    if kind == "equivalence":
        t = tost(values, margin)
        hold, fail = t["p_equivalent"], t["p_beyond"]
    else:
        t = t_against(values, -margin if kind == "noninferiority" else 0.0)
        up = part.get("claimed", "> 0") == "> 0"
        hold, fail = (t["p_greater"], t["p_less"]) if up else (t["p_less"], t["p_greater"])
        hold, fail = min(1.0, 2 * hold), min(1.0, 2 * fail)  # two-sided: either direction could be it
    if not (math.isfinite(hold) and math.isfinite(fail)):
        return {"p_value": math.nan, "side": None, "p_holds": hold, "p_fails": fail}
    return {"p_value": min(hold, fail), "side": HOLDS if hold <= fail else FAILS, "p_holds": hold, "p_fails": fail}


def _power(part: dict, s: dict, level: float, margin: float | None) -> dict:
    """Seeds at which the part's test reaches the protocol's power at the observed effect and
    its Holm level, and what the extra seeds cost (measured training time per seed)."""
    mean, sd, n = s["mean"], s["sd"], len(s["values"])
    target = s["power_target"]
    if not (math.isfinite(sd) and sd > 0):
        need = None
    elif part["test"] == "equivalence" and abs(mean) < margin:
        need = seeds_needed(lambda k: power_tost(mean, sd, margin, k, level), target)
    else:
        ref = {"equivalence": math.copysign(margin, mean) if margin else 0.0,
               "noninferiority": -(margin or 0.0)}.get(part["test"], 0.0)
        need = seeds_needed(lambda k: power_t((mean - ref) / sd, k, level), target)
    out = {"level": level, "power": target, "seeds_needed": need}
    if need is not None:
        out.update(extra_seeds=max(0, need - n), cost_seconds=max(0, need - n) * s["seconds_per_seed"])
    return out


def _part_verdict(side, rejected: bool) -> str:
    return side if rejected else NOT_DECIDED


# ---- a seed set through the whole protocol ----

def _evaluate(claims: list[dict], results: dict, protocol: dict, seeds: list[int] | None) -> list[dict]:
    """Every claim's parts on `seeds` (None: whichever seeds are present), Holm over the family."""
    out, family = [], []  # family: (claim index, part index) of every statistical part
    for c in claims:
        official_needed = c.get("needs_official_data", True)
        parts = []
        for p in c["parts"]:
            r = {k: p[k] for k in ("id", "what", "statistic", "test") if k in p}
            r.update({k: p[k] for k in ("claimed", "margin") if k in p})
            try:
                s = per_seed(p["statistic"], results, seeds)
                if official_needed and not all(x.official for g in s["groups"]
                                               for x in results[tuple(g.split("/"))] if x.seed in s["seeds"]):
                    raise Missing("unofficial data: not the paper's dataset files")
                if p["test"] in STATISTICAL and len(s["seeds"]) < 2:
                    raise Missing(f"{f.plural(len(s['seeds']), 'seed')}: a paired test across seeds needs at least 2")
                r.update(s)
                if s["values"]:
                    r.update(mean=fmean(s["values"]), sd=float(np.std(s["values"], ddof=1)) if len(s["values"]) > 1 else math.nan)
                if p["test"] in STATISTICAL:
                    r.update(_test(p, s["values"], _margin(p) if "margin" in p else None))
                else:  # identical: a property of the model
                    r.update(verdict=HOLDS if len(s["params"]) == 1 else FAILS, p_value=None)
            except Missing as e:
                r.update(verdict=NOT_ASSESSED, reason=str(e), p_value=math.nan if p["test"] in STATISTICAL else None)
            parts.append(r)
            if p["test"] in STATISTICAL:
                family.append((len(out), len(parts) - 1))
        out.append({**{k: c[k] for k in ("id", "short", "paper", "where")}, "parts": parts,
                    **{k: c[k] for k in ("form", "baseline") if k in c}})
    alpha = protocol["alpha"]
    ps = [out[i]["parts"][j]["p_value"] for i, j in family]
    for (i, j), h in zip(family, holm(ps, alpha)):
        part, spec = out[i]["parts"][j], claims[i]["parts"][j]
        part["holm"] = h
        if part.get("verdict") == NOT_ASSESSED:
            continue
        part["verdict"] = _part_verdict(part["side"], h["rejected"])
        if "margin" in spec:  # the same family with this part's margin scaled
            part["sensitivity"] = []
            for factor in protocol["margin_factors"]:
                alt = _test(spec, part["values"], _margin(spec, factor))
                h2 = holm([alt["p_value"] if (a, b) == (i, j) else p for (a, b), p in zip(family, ps)], alpha)
                k = family.index((i, j))
                part["sensitivity"].append({"factor": factor, "margin": _margin(spec, factor),
                                            "p_value": alt["p_value"], "verdict": _part_verdict(alt["side"], h2[k]["rejected"])})
        if part["verdict"] == NOT_DECIDED:
            part["seeds_to_decide"] = _power(spec, dict(part, power_target=protocol["power"]), h["level"],
                                             _margin(spec) if "margin" in spec else None)
    for claim in out:
        for part in claim["parts"]:
            if "reason" not in part:
                part["reason"] = _part_reason(part)
        claim["verdict"], claim["reason"] = _combine(claim["parts"])
    return out


SHOWN_DECIMALS = {"pp": 2, "epochs": 1, "min": 2, f.PER_10K: 0, "": 3}


def mean_sd(mean: float, sd: float, unit: str) -> str:
    """A per-seed statistic: '−0.80 ± 0.26 pp' (the sd in the mean's decimals)."""
    d = SHOWN_DECIMALS.get(unit, 2)
    spread = f" ± {sd:.{d}f}" if math.isfinite(sd) else ""
    return f"{f.signed(mean, '', d)}{spread}{' ' + unit if unit else ''}"


def _part_reason(p: dict) -> str:
    unit = p["unit"]
    if p["test"] == "identical":
        sizes = " and ".join(f.number(x, "parameters", 0) for x in p["params"])
        return f"{sizes} ({'the same' if p['verdict'] == HOLDS else 'they differ'})"
    if p["test"] == "direction":
        d = p.get("claimed", "> 0")
    else:
        m = f.number(p["margin"]["value"], unit)
        d = f"within ±{m}" if p["test"] == "equivalence" else f"above −{m}"
    h = p["holm"]
    return (f"{mean_sd(p['mean'], p['sd'], unit)} over {f.plural(len(p['values']), 'seed')} "
            f"(claimed {d}); {f.p_value(p['p_value'])}, Holm level {h['level']:.2g} (rank {h['rank']})")


def _combine(parts: list[dict]) -> tuple[str, str]:
    v = [p["verdict"] for p in parts]
    named = lambda verdict: ", ".join(p["id"] for p in parts if p["verdict"] == verdict)
    one = len(parts) == 1
    if FAILS in v:
        failed = [p for p in parts if p["verdict"] == FAILS]
        if one:
            return FAILS, parts[0]["reason"]
        if len(failed) == 1:
            return FAILS, f"fails on {failed[0]['id']}: {failed[0]['reason']}"
        return FAILS, f"fails on {named(FAILS)}: " + "; ".join(f"{p['id']}: {p['reason']}" for p in failed)
    if all(x == HOLDS for x in v):
        return HOLDS, parts[0]["reason"] if one else "every part holds: " + "; ".join(f"{p['id']}: {p['reason']}" for p in parts)
    verdict = NOT_DECIDED if NOT_DECIDED in v else NOT_ASSESSED
    return verdict, "; ".join((f"{p['id']} {p['verdict']}: " if not one else "") + p["reason"] for p in parts
                              if p["verdict"] != HOLDS) + ("" if one else f" ({named(HOLDS) or 'no part'} holds)")


def assess(claims: list[dict], results: dict, protocol: dict | None = None) -> list[dict]:
    """One record per claim, in order: the verdict from the decision seeds (`verdict`, `reason`,
    `parts`) and the same tests on the other seeds present (`shown`: e.g. seeds 0-2, which chose
    the defaults), whose claim-level result is `outcome` (it decides nothing)."""
    protocol = protocol or DEFAULT_PROTOCOL
    decided = _evaluate(claims, results, protocol, list(protocol["decision_seeds"]))
    present = sorted({r.seed for runs in results.values() for r in runs} - set(protocol["decision_seeds"]))
    others = {k: [r for r in v if r.seed in present] for k, v in results.items()}
    shown = _evaluate(claims, {k: v for k, v in others.items() if v}, protocol, None) if present else None
    out = []
    for i, c in enumerate(decided):
        s = shown[i] if shown else None
        c.update(outcome=s["verdict"] if s else NOT_COMPUTED, shown=s, shown_seeds=present,
                 evidence=evidence_lines(claims[i], results, protocol, present))
        out.append(c)
    return out


DEFAULT_PROTOCOL = {"decision_seeds": [3, 4, 5, 6, 7, 8], "selection_seeds": [0, 1, 2], "alpha": 0.05,
                    "power": 0.8, "margin_factors": [0.5, 2.0]}  # paper/claims.yaml's, for callers without it


# ---- evidence lines: McNemar per seed (shown, never in a verdict) ----

def evidence_lines(claim: dict, results: dict, protocol: dict, shown_seeds: list[int]) -> list[str]:
    out = []
    for p in claim["parts"]:
        if p["statistic"] in ("mnist_accuracy", "fashion_accuracy"):
            dataset = p["statistic"].split("_")[0]
            for label, seeds in (("decision seeds", protocol["decision_seeds"]), ("other seeds", shown_seeds)):
                line = mcnemar_line(results, dataset, seeds)
                if line:
                    out.append(f"McNemar per seed on the same {dataset} test images, {label}: {line}")
    return list(dict.fromkeys(out))


def mcnemar_of(r: SeedResult, c: SeedResult | None) -> tuple[int, int] | None:
    """(b, c) of R against C of the same seed: from the per-image correctness, or the counts kept."""
    if c is not None and r.correct is not None and c.correct is not None and len(r.correct) == len(c.correct):
        m = mcnemar(r.correct, c.correct)
        return m["b"], m["c"]
    return tuple(r.mcnemar_vs_c) if r.mcnemar_vs_c else None


def mcnemar_line(results: dict, dataset: str, seeds) -> str | None:
    by_c = {x.seed: x for x in results.get((dataset, "C"), [])}
    parts = []
    for a in sorted(results.get((dataset, "R"), []), key=lambda x: x.seed):
        counts = mcnemar_of(a, by_c.get(a.seed)) if a.seed in seeds else None
        if counts is not None:
            m = mcnemar_counts(*counts)
            parts.append(f"seed {a.seed}: R right/C wrong {m['b']:,}, C right/R wrong {m['c']:,}, {f.p_value(m['p_value'])}")
    return "; ".join(parts) or None


# ---- the document a reviewer recomputes: protocol, per-seed inputs, verdicts ----

def seed_record(r: SeedResult, c: SeedResult | None = None) -> dict:
    """A SeedResult as JSON: every input the tests read; per-image correctness becomes McNemar's
    two counts against C of the same seed (for R runs)."""
    d = {k.name: getattr(r, k.name) for k in fields(SeedResult) if k.name != "correct"}
    d["probe_epochs"] = list(r.probe_epochs)
    d["probe_quality"] = {m: np.asarray(v).tolist() for m, v in r.probe_quality.items()}
    counts = mcnemar_of(r, c) if c is not None else r.mcnemar_vs_c
    d["mcnemar_vs_c"] = list(counts) if counts else None
    return d


def from_record(d: dict) -> SeedResult:
    d = dict(d)
    d["probe_epochs"] = tuple(d["probe_epochs"])
    d["probe_quality"] = {m: np.asarray(v, dtype=np.float64) for m, v in d["probe_quality"].items()}
    return SeedResult(**d)


def _clean(obj):
    """NaN -> None (JSON has no NaN), tuples -> lists, numpy scalars -> Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def document(spec: dict, results: dict, verdicts: list[dict] | None = None) -> dict:
    """claims.json: the protocol and claims it ran (paper/claims.yaml), every per-seed input and
    every verdict. `recompute` rebuilds the verdicts from it alone."""
    verdicts = assess(spec["claims"], results, spec["protocol"]) if verdicts is None else verdicts
    inputs = {}
    for (dataset, variant), runs in sorted(results.items()):
        by_c = {x.seed: x for x in results.get((dataset, "C"), [])} if variant == "R" else {}
        inputs[f"{dataset}/{variant}"] = [seed_record(r, by_c.get(r.seed)) for r in sorted(runs, key=lambda x: x.seed)]
    return _clean({"protocol": spec["protocol"], "claims": spec["claims"], "inputs": inputs,
                   "verdicts": verdicts, "scoreboard": scoreboard_counts(verdicts)})


def results_of(doc: dict) -> dict:
    return {tuple(k.split("/")): [from_record(r) for r in v] for k, v in doc["inputs"].items()}


def recompute(doc: dict) -> list[dict]:
    """The verdicts of a claims.json rebuilt from its own protocol, claims and inputs."""
    return _clean(assess(doc["claims"], results_of(doc), doc["protocol"]))


def scoreboard_counts(verdicts: list[dict]) -> dict:
    return {v: sum(c["verdict"] == v for c in verdicts) for v in (HOLDS, FAILS, NOT_DECIDED, NOT_ASSESSED)}


def verify(doc: dict, rel: float = 1e-9) -> list[str]:
    """Where a claims.json's verdicts differ from those recomputed from its own inputs: one
    'path: committed != recomputed' per difference (numbers within `rel`); empty when it holds."""
    out: list[str] = []

    def walk(a, b, path):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(a.get(k), b.get(k), f"{path}.{k}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]")
        elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            if not math.isclose(a, b, rel_tol=rel, abs_tol=1e-12):
                out.append(f"{path}: {a!r} != {b!r}")
        elif a != b:
            out.append(f"{path}: {a!r} != {b!r}")

    walk(doc["verdicts"], recompute(doc), "verdicts")
    return out
