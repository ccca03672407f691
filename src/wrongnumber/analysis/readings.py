"""Which reading of the paper reproduces it? Each reading's runs held against the paper's numbers.

plan/readings.py lists the readings and their runs; `score` puts every quantity of Table 1 and
the Fashion-MNIST result of each reading beside the paper's, with the seed noise
(`against_paper`), ranks the readings and says which of the paper's claims each reproduces;
artifacts/readings.py presents the ranking.
"""
from __future__ import annotations

import math
import statistics

from scipy import stats

from ..plan.readings import Settings, fashion_readings, r_readings
from ..plan.runspec import DATASETS, run_name
from .claims import assess


def prediction_interval_half_width(sd: float, n: int, confidence: float = 0.95) -> float:
    """Half width of the interval where one more run (the paper's one run) would fall:
    t(1 - a/2, n - 1) * sd * sqrt(1 + 1/n). NaN with fewer than 2 seeds."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    return float(stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * sd * math.sqrt(1 + 1 / n)


# ---- scoring: each reading against the paper's numbers ----

# quantity -> (label, how the paper's value is derived from reported.yaml's numbers). All in
# percentage points: accuracies in %, low-confidence counts as % of the 10,000 test images,
# R - C as the paired per-seed difference of the accuracies.
QUANTITIES = {
    "mnist_R_accuracy": "MNIST R test accuracy",
    "mnist_C_accuracy": "MNIST C test accuracy",
    "mnist_R_minus_C": "MNIST R - C accuracy",
    "mnist_R_low_confidence": "MNIST R true low confidence (% of test images, at t*)",
    "mnist_C_low_confidence": "MNIST C true low confidence (% of test images, at t*)",
    "fashion_R_accuracy": "Fashion R test accuracy",
    "fashion_C_accuracy": "Fashion C test accuracy",
    "fashion_R_minus_C": "Fashion R - C accuracy",
}
SHARED = ("mnist_C_accuracy", "fashion_C_accuracy")  # from the same C runs under every R reading
# What the paper claims about R: it costs 0.73 pp on MNIST and gains about 1 pp on Fashion-MNIST.
# A smaller training set (the offline 5k MNIST subset) or a Fashion reading that moves C moves
# R and C together, so these differences carry over where the absolute accuracies cannot.
RELATIVE = ("mnist_R_minus_C", "fashion_R_minus_C")


def paper_values(numbers: dict) -> dict:
    """The paper's value of every quantity, from paper/reported.yaml's `numbers`."""
    v = {k: spec["value"] for k, spec in numbers.items()}
    n_test = v["data.mnist.n_test"]
    return {
        "mnist_R_accuracy": v["table1.R.test_accuracy"], "mnist_C_accuracy": v["table1.C.test_accuracy"],
        "mnist_R_minus_C": v["table1.R.test_accuracy"] - v["table1.C.test_accuracy"],
        "mnist_R_low_confidence": 100 * v["table1.R.true_low_confidence"] / n_test,
        "mnist_C_low_confidence": 100 * v["table1.C.true_low_confidence"] / n_test,
        "fashion_R_accuracy": v["fashion.R.test_accuracy"], "fashion_C_accuracy": v["fashion.C.test_accuracy"],
        "fashion_R_minus_C": v["fashion.R.test_accuracy"] - v["fashion.C.test_accuracy"],
        "R_stopped_epoch": v["timing.R.stopped_epoch"], "C_stopped_epoch": v["timing.C.stopped_epoch"],
        "R_low_confidence_count": v["table1.R.true_low_confidence"],
        "C_low_confidence_count": v["table1.C.true_low_confidence"],
    }


def _by_seed(runs) -> dict:
    return {r.seed: r for r in runs}


def against_paper(values: list[float], paper: float, confidence: float) -> dict:
    n = len(values)
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if n > 1 else math.nan
    half = prediction_interval_half_width(sd, n, confidence)
    diff = mean - paper
    return {"paper": paper, "mean": mean, "sd": sd, "n": n, "diff": diff, "interval_half_width": half,
            "within_noise": bool(math.isfinite(half) and abs(diff) <= half), "values": list(values)}


def best_threshold(r_runs, c_runs, paper: dict) -> str:
    """The sweep threshold at which the seed-mean true-low-confidence counts of R and C are
    jointly closest to the paper's, as shares of the test images (the smaller larger miss of
    the two; ties: the lower t)."""
    sweep = list(r_runs[0].eval["low_confidence_sweep"])
    share = lambda runs, t: statistics.fmean(100 * x.eval["low_confidence_sweep"][t] / x.eval["n_test"]
                                             for x in runs)  # % of the test images: any test size
    def miss(t):
        return max(abs(share(r_runs, t) - paper["mnist_R_low_confidence"]),
                   abs(share(c_runs, t) - paper["mnist_C_low_confidence"]))
    return min(sweep, key=lambda t: (miss(t), float(t)))


def score_reading(r_mnist, c_mnist, r_fashion, c_fashion, paper: dict, confidence: float) -> dict:
    """Every quantity of one reading (lists of Run, paired by seed) against the paper."""
    t = best_threshold(r_mnist, c_mnist, paper)
    acc = lambda run: 100 * run.eval["accuracy"]
    low = lambda run: 100 * run.eval["low_confidence_sweep"][t] / run.eval["n_test"]
    def gap(rs, cs):
        r, c = _by_seed(rs), _by_seed(cs)
        both = sorted(set(r) & set(c))
        if not both:
            raise ValueError(f"R and C share no seed ({sorted(r)} vs {sorted(c)}): R - C needs pairs")
        return [acc(r[s]) - acc(c[s]) for s in both]
    values = {
        "mnist_R_accuracy": [acc(x) for x in r_mnist], "mnist_C_accuracy": [acc(x) for x in c_mnist],
        "mnist_R_minus_C": gap(r_mnist, c_mnist),
        "mnist_R_low_confidence": [low(x) for x in r_mnist], "mnist_C_low_confidence": [low(x) for x in c_mnist],
        "fashion_R_accuracy": [acc(x) for x in r_fashion], "fashion_C_accuracy": [acc(x) for x in c_fashion],
        "fashion_R_minus_C": gap(r_fashion, c_fashion),
    }
    q = {k: against_paper(v, paper[k], confidence) for k, v in values.items()}
    worst = max(q, key=lambda k: abs(q[k]["diff"]))
    own = [k for k in q if k not in SHARED]
    worst_own = max(own, key=lambda k: abs(q[k]["diff"]))
    worst_rel = max(RELATIVE, key=lambda k: abs(q[k]["diff"]))
    epochs = {v: against_paper([x.metrics["stopped_epoch"] for x in runs], paper[f"{v}_stopped_epoch"], confidence)
              for v, runs in (("R", r_mnist), ("C", c_mnist))}
    return {
        "threshold": float(t), "quantities": q, "stopped_epoch": epochs,
        "distance": abs(q[worst]["diff"]), "distance_quantity": worst,
        "own_distance": abs(q[worst_own]["diff"]), "own_distance_quantity": worst_own,
        "relative_distance": abs(q[worst_rel]["diff"]), "relative_distance_quantity": worst_rel,
        "n_within_noise": sum(v["within_noise"] for v in q.values()), "n_quantities": len(q),
        "within_noise": all(v["within_noise"] for v in q.values()),
        "low_confidence_counts": {v: statistics.fmean(x.eval["low_confidence_sweep"][t] for x in runs)
                                  for v, runs in (("R", r_mnist), ("C", c_mnist))},
        "mnist_R_counts": {k: statistics.fmean(x.eval[f"{k}_predictions"] for x in r_mnist)
                           for k in ("true", "false")},
    }


# The paper's claims a reading is scored on besides its numbers (paper/claims.yaml ids), the
# same tests the report's scoreboard runs.
READING_CLAIMS = ("similar_accuracy", "more_low_confidence", "stops_earlier", "cam_better_from_epoch1")


def claim_verdicts(claims: list[dict], results: dict) -> dict:
    """{claim id: {"verdict", "outcome", "reason"}} of READING_CLAIMS on one reading's runs
    (`results`: claims.assess's {(dataset, variant): [SeedResult]}). `outcome` is the test's
    result on these runs even where the verdict is "not assessed" (e.g. one seed)."""
    chosen = [c for c in claims if c["id"] in READING_CLAIMS]
    return {v["id"]: {k: v[k] for k in ("verdict", "outcome", "reason")} for v in assess(chosen, results)}


def describe_options(options: dict, base: dict, keys=("cam_target", "pair_label", "cam_weights",
                                                     "contrastive_weight", "margin")) -> str:
    """'cam_target=label, pair_label=always_similar, ...' with the resolved values."""
    full = dict(base, **options)
    return ", ".join(f"{k}={full[k]:g}" if isinstance(full[k], float) else f"{k}={full[k]}" for k in keys)


def score(study: Settings, bases: dict[str, dict], runs, numbers: dict, claims: list[dict] | None = None,
          seed_results: dict | None = None) -> dict:
    """The ranking: one entry per reading (every R reading on the base Fashion subset, and the
    default R with each other Fashion subset), sorted by distance, then relative distance, then
    own distance.

    `runs`: provenance.Run records of every run of plan.readings.expand(study, bases) (any order).
    With `claims` (paper/claims.yaml's list) and `seed_results` ({run folder: claims.SeedResult},
    evidence.seed_result of each run), every entry also says which of READING_CLAIMS it reproduces.
    """
    paper = paper_values(numbers)
    confidence = study.confidence
    backbones = {r.backbone for r in runs}
    if len(backbones) != 1:
        raise ValueError(f"the readings runs mix backbones {sorted(backbones)}; the study uses one")
    by_name: dict = {}
    for r in runs:
        by_name.setdefault((r.dataset, r.name), []).append(r)
    def get(dataset, name):
        found = by_name.get((dataset, name))
        if not found:
            raise ValueError(f"readings: no finished run {dataset}/{name}; every run of "
                             "plan.readings.expand must be trained and evaluated")
        return sorted(found, key=lambda x: x.seed)

    entries = []
    c_mnist = get("mnist", run_name("C", {}, bases["mnist"]))
    c_fashion = get("fashion", run_name("C", {}, bases["fashion"]))
    default_name = run_name("R", {}, bases["mnist"])
    groups = []  # each entry's (MNIST R, MNIST C, Fashion R, Fashion C) runs
    for options in r_readings(study, bases["mnist"]):
        name = run_name("R", options, bases["mnist"])
        groups.append((get("mnist", name), c_mnist, get("fashion", run_name("R", options, bases["fashion"])),
                       c_fashion))
        s = score_reading(*groups[-1], paper, confidence)
        entries.append({"name": name, "options": describe_options(options, bases["mnist"]),
                        "fashion_subset": bases["fashion"]["subset"], "is_default": name == default_name, **s})
    for over in fashion_readings(study, bases["fashion"]):
        groups.append((get("mnist", default_name), c_mnist, get("fashion", run_name("R", over, bases["fashion"])),
                       get("fashion", run_name("C", over, bases["fashion"]))))
        s = score_reading(*groups[-1], paper, confidence)
        label = ", ".join(f"{k}={v}" for k, v in over.items())
        entries.append({"name": f"{default_name}, Fashion {label}",
                        "options": describe_options({}, bases["mnist"]),
                        "fashion_subset": over.get("subset", bases["fashion"]["subset"]),
                        "fashion_reading": label, "is_default": False, **s})
    if claims is not None:
        for e, (rm, cm, rf, cf) in zip(entries, groups):
            results = {("mnist", "R"): [seed_results[x.run_dir] for x in rm],
                       ("mnist", "C"): [seed_results[x.run_dir] for x in cm],
                       ("fashion", "R"): [seed_results[x.run_dir] for x in rf],
                       ("fashion", "C"): [seed_results[x.run_dir] for x in cf]}
            e["claims"] = claim_verdicts(claims, results)
    entries.sort(key=lambda e: (round(e["distance"], 9), e["relative_distance"], e["own_distance"], e["name"]))
    for rank, e in enumerate(entries, 1):
        e["rank"] = rank
    return {"entries": entries, "paper": paper, "confidence": confidence,
            "seeds": sorted({r.seed for r in runs}), "backbone": backbones.pop(),
            "dropped": study.drop, "vary": study.vary, "vary_around": study.vary_around,
            "verdict": verdict(entries), "n_runs": len(runs),
            "train_seconds": sum(r.timings["total_seconds"] for r in runs),
            "official": {d: all(r.metrics["data"]["official"] for r in runs if r.dataset == d)
                         for d in DATASETS}}


def closer_test(a: dict, b: dict) -> dict:
    """Is b closer to the paper than a on one quantity? Welch's t-test (scipy.stats.ttest_ind,
    unequal variances) of the per-seed absolute differences |value - paper| of the two readings;
    `closer` when b's mean absolute difference is the smaller one and p < 0.05."""
    da = [abs(v - a["paper"]) for v in a["values"]]
    db = [abs(v - b["paper"]) for v in b["values"]]
    gain = statistics.fmean(da) - statistics.fmean(db)
    if min(len(da), len(db)) < 2:
        return {"test": "Welch t-test (scipy.stats.ttest_ind, equal_var=False)", "gain": gain,
                "p_value": math.nan, "closer": False, "note": "needs 2 seeds per reading"}
    if statistics.pstdev(da) == statistics.pstdev(db) == 0:
        p = 0.0 if gain else 1.0
    else:
        p = float(stats.ttest_ind(da, db, equal_var=False).pvalue)
    return {"test": "Welch t-test (scipy.stats.ttest_ind, equal_var=False)", "gain": gain,
            "p_value": p, "closer": bool(gain > 0 and p < 0.05), "note": None}


def verdict(entries: list[dict]) -> dict:
    """Plain statements: is any reading within seed noise of every paper number, which is
    closest, and is the reading closest on the R - C differences clearly closer than the
    default (on the difference that sets the default's relative distance)?"""
    within = [e["name"] for e in entries if e["within_noise"]]
    best = entries[0]
    default = next((e for e in entries if e["is_default"]), None)
    best_own = min(entries, key=lambda e: (e["own_distance"], e["distance"]))
    best_rel = min(entries, key=lambda e: (e["relative_distance"], e["own_distance"]))
    out = {"within_noise": within, "best": best["name"], "best_own": best_own["name"],
           "best_relative": best_rel["name"]}
    if default is not None:
        q = default["relative_distance_quantity"]
        test = closer_test(default["quantities"][q], best_rel["quantities"][q])
        out.update(default=default["name"], default_rank=default["rank"], quantity=q, test=test,
                   clearly_closer=bool(best_rel["name"] != default["name"] and test["closer"]))
    return out
