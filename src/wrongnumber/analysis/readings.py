"""Which reading of the paper reproduces it? The ablation over the paper's open choices.

A *reading* is one way of filling the paper's gaps for the R variant: which class the CAM
explains (`cam_target`), how the contrastive pair label y is set (`pair_label`), whether the
Grad-CAM channel weights carry gradient (`cam_weights`), the margin m and the weight lambda;
for Fashion-MNIST also what "a subset of 15 %" means (`subset`). `expand` turns the study's
config (config/readings.yaml) into the runs to train; `score` (below) holds each reading
against the paper's numbers.

The grid is every combination of its options minus `drop` (the incoherent ones, each with its
reason in the config), then one option at a time from `vary` around every grid reading that
matches an entry of `vary_around` (all of them when it is absent). A
variation that cannot change the run is not trained: the margin only enters Eq. 1 through
(1 - y), so with y = 1 for every pair (`always_similar`) every margin gives the same run, bit
for bit (tests/test_readings.py checks this).
"""
from __future__ import annotations

import itertools
import math
import statistics

from . import formatting as fmt
from ..core.atomic import write_json
from ..plan.runspec import DATASETS, run_name



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
    def matches(combo: dict, partial: dict) -> bool:  # against the resolved options, not the grid's
        return all(dict(base, **combo).get(k) == v for k, v in partial.items())
    out = [c for c in combos if not any(matches(c, d["when"]) for d in study.get("drop", []))]
    if not any(run_name("R", c, base) == run_name("R", {}, base) for c in out):
        out.insert(0, {})  # the default reading: the baseline every other one is compared with
    anchors = [c for c in out if not study.get("vary_around")
               or any(matches(c, a) for a in study["vary_around"])]
    for combo in anchors:
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


def fashion_readings(study: dict, base: dict) -> list[dict]:
    """Fashion-MNIST-only readings, as override dicts, each run with C and the default R: the
    other readings of "subset of 15 %" (`fashion_subsets`), then the slips a reader could make
    (`fashion_slips`, e.g. MNIST's normalisation at test time), searched for the paper's ~65 %."""
    subsets = [{"subset": s} for s in study.get("fashion_subsets", []) if s != base["subset"]]
    return subsets + [dict(slip) for slip in study.get("fashion_slips", [])]


def seeds_of(study: dict, options: dict, base: dict) -> list[int]:
    """A reading's seeds: the study's, plus `more_seeds.seeds` for the readings it lists (the
    closest ones after a first pass with fewer seeds)."""
    more = study.get("more_seeds") or {}
    name = run_name("R", options, base)
    listed = any(run_name("R", r, base) == name for r in more.get("readings", []))
    return sorted(set(study["seeds"]) | set(more.get("seeds", []) if listed else []))


def expand(study: dict, bases: dict[str, dict]) -> list[dict]:
    """Every run of the study: {"dataset", "name", "seed", "role"} with role = "C" (the
    baseline), "R" (an R reading) or "subset" (a Fashion-only reading, C or R).

    `bases[dataset]` = the options of a run without overrides (runspec.parse_run_name's base).
    MNIST: C and every R reading. Fashion: the same, plus C and the default R under every
    `fashion_readings` entry. C runs take every seed any R reading has, for paired differences.
    """
    runs = []
    for dataset in DATASETS:
        base = bases[dataset]
        r_seeds = [(run_name("R", r, base), seeds_of(study, r, base)) for r in readings(study, base)]
        all_seeds = sorted({s for _, seeds in r_seeds for s in seeds})
        named = [("C", run_name("C", {}, base), all_seeds)] + [("R", n, seeds) for n, seeds in r_seeds]
        if dataset == "fashion":
            named += [("subset", run_name(v, over, base), study["seeds"])
                      for over in fashion_readings(study, base) for v in ("C", "R")]
        runs += [{"dataset": dataset, "name": n, "seed": s, "role": role}
                 for role, n, seeds in named for s in seeds]
    return runs


def prediction_interval_half_width(sd: float, n: int, confidence: float = 0.95) -> float:
    """Half width of the interval where one more run (the paper's one run) would fall:
    t(1 - a/2, n - 1) * sd * sqrt(1 + 1/n). NaN with fewer than 2 seeds."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    from scipy import stats
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


def _summary(values: list[float], paper: float, confidence: float) -> dict:
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
    q = {k: _summary(v, paper[k], confidence) for k, v in values.items()}
    worst = max(q, key=lambda k: abs(q[k]["diff"]))
    own = [k for k in q if k not in SHARED]
    worst_own = max(own, key=lambda k: abs(q[k]["diff"]))
    worst_rel = max(RELATIVE, key=lambda k: abs(q[k]["diff"]))
    epochs = {v: _summary([x.metrics["stopped_epoch"] for x in runs], paper[f"{v}_stopped_epoch"], confidence)
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
    from .claims import assess
    chosen = [c for c in claims if c["id"] in READING_CLAIMS]
    return {v["id"]: {k: v[k] for k in ("verdict", "outcome", "reason")} for v in assess(chosen, results)}


def describe_options(options: dict, base: dict, keys=("cam_target", "pair_label", "cam_weights",
                                                     "contrastive_weight", "margin")) -> str:
    """'cam_target=label, pair_label=always_similar, ...' with the resolved values."""
    full = dict(base, **options)
    return ", ".join(f"{k}={full[k]:g}" if isinstance(full[k], float) else f"{k}={full[k]}" for k in keys)


def score(study: dict, bases: dict[str, dict], runs, numbers: dict, claims: list[dict] | None = None,
          seed_results: dict | None = None) -> dict:
    """The ranking: one entry per reading (every R reading on the base Fashion subset, and the
    default R with each other Fashion subset), sorted by distance, then relative distance, then
    own distance.

    `runs`: provenance.Run records of every run of `expand(study, bases)` (any order).
    With `claims` (paper/claims.yaml's list) and `seed_results` ({run folder: claims.SeedResult},
    evidence.seed_result of each run), every entry also says which of READING_CLAIMS it reproduces.
    """
    paper = paper_values(numbers)
    confidence = study.get("confidence", 0.95)
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
                             "readings.expand must be trained and evaluated")
        return sorted(found, key=lambda x: x.seed)

    entries = []
    c_mnist = get("mnist", run_name("C", {}, bases["mnist"]))
    c_fashion = get("fashion", run_name("C", {}, bases["fashion"]))
    default_name = run_name("R", {}, bases["mnist"])
    groups = []  # each entry's (MNIST R, MNIST C, Fashion R, Fashion C) runs
    for options in readings(study, bases["mnist"]):
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
            "dropped": study.get("drop", []), "vary": study.get("vary", {}),
            "vary_around": study.get("vary_around", []),
            "verdict": verdict(entries), "n_runs": len(runs),
            "train_seconds": sum(r.timings["total_seconds"] for r in runs),
            "official": {d: all(r.metrics["data"]["official"] for r in runs if r.dataset == d)
                         for d in DATASETS}}


def closer_test(a: dict, b: dict) -> dict:
    """Is b closer to the paper than a on one quantity? Welch's t-test (scipy.stats.ttest_ind,
    unequal variances) of the per-seed absolute differences |value - paper| of the two readings;
    `closer` when b's mean absolute difference is the smaller one and p < 0.05."""
    from scipy import stats
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


def _pm(q: dict, decimals: int = 2) -> str:
    return f"{fmt.pm(q['mean'], q['sd'], decimals)} ({q['diff']:+.{decimals}f})"


def ranking_rows(result: dict) -> list[dict]:
    """The ranking as table rows of strings: seed mean ± sd (difference from the paper)."""
    rows = []
    for e in result["entries"]:
        q, ep = e["quantities"], e["stopped_epoch"]
        rows.append({
            "rank": str(e["rank"]), "reading": e["name"] + (" (default)" if e["is_default"] else ""),
            "MNIST R acc %": _pm(q["mnist_R_accuracy"]),
            "MNIST R true / false": f"{e['mnist_R_counts']['true']:.0f} / {e['mnist_R_counts']['false']:.0f}",
            "MNIST R-C pp": _pm(q["mnist_R_minus_C"]),
            "t*": f"{e['threshold']:g}",
            "low conf R / C at t*": f"{e['low_confidence_counts']['R']:.0f} / {e['low_confidence_counts']['C']:.0f}",
            "epochs R / C": f"{ep['R']['mean']:.1f} / {ep['C']['mean']:.1f}",
            "Fashion subset": e["fashion_subset"],
            "Fashion R acc %": _pm(q["fashion_R_accuracy"]), "Fashion C acc %": _pm(q["fashion_C_accuracy"]),
            "Fashion R-C pp": _pm(q["fashion_R_minus_C"]),
            "distance pp": f"{e['distance']:.2f} ({e['distance_quantity']})",
            "relative distance pp": f"{e['relative_distance']:.2f} ({e['relative_distance_quantity']})",
            "own distance pp": f"{e['own_distance']:.2f} ({e['own_distance_quantity']})",
            "within seed noise of the paper": "yes" if e["within_noise"] else
                f"no ({e['n_within_noise']} of {e['n_quantities']} quantities)",
        })
        if "claims" in e:
            rows[-1]["claims reproduced"] = claims_cell(e["claims"])
    return rows


CLAIM_LABELS = {"similar_accuracy": "R ≈ C", "more_low_confidence": "R low-conf ≥ 2× C",
                "stops_earlier": "R stops earlier", "cam_better_from_epoch1": "R's maps closer at epoch 1"}


def claims_cell(verdicts: dict) -> str:
    """'R ≈ C: yes; R stops earlier: no; R's maps closer at epoch 1: n/a (1 seed)' for a table."""
    def word(v):
        if v["verdict"] == "holds" or (v["verdict"] == "not assessed" and v["outcome"] == "holds"):
            return "yes"
        if v["verdict"] == "does not hold" or v["outcome"] == "does not hold":
            return "no"
        return "n/a"
    return "; ".join(f"{CLAIM_LABELS[k]}: {word(v)}" for k, v in verdicts.items())


def write(result: dict, out_dir) -> list:
    """readings.json (every number) and the ranking as CSV, Markdown and LaTeX."""
    from pathlib import Path

    from ..artifacts.table_files import write_tables
    out = Path(out_dir)
    from ..artifacts.study_figures import readings_distances
    paths = write_tables({"ranking": {"title": "Readings of the paper ranked by distance to its numbers",
                                      "rows": ranking_rows(result)}}, out)
    paths += readings_distances(result["entries"], out / "distances")
    result["figure"] = str(paths[-2])  # the PNG
    write_json(out / "readings.json", result)
    return paths + [out / "readings.json"]


DEFINITION = (
    "Every quantity is in percentage points: test accuracies in %, R - C as the mean of the "
    "per-seed paired differences, and the true-low-confidence counts as % of the test images, "
    "taken at t*, the one softmax threshold (shared by R and C, from eval.json's sweep) at which "
    "the reading's seed-mean counts come jointly closest to the paper's {r_low:g} and {c_low:g}: "
    "t* is fitted to those two numbers, so they are not independent checks. "
    "Distance = the largest |seed mean - paper| over all eight quantities; own distance = the "
    "same over the six that come from the reading's own runs (the C accuracies are shared by "
    "every R reading on the same data, so they tie the distance); relative distance = the same "
    "over the two R - C differences, the paper's claim about R, which a smaller training set "
    "or another Fashion subset moves far less than the accuracies themselves. A quantity is within seed "
    "noise when the paper's number lies in the {conf:.0%} prediction interval of one more run, "
    "mean ± t(n-1) sd sqrt(1 + 1/n): the paper's numbers are single runs. Even a faithful "
    "reproduction misses one of eight such intervals about {miss:.0%} of the time, and the "
    "paper's Fashion numbers are printed as 'around', so the count of quantities within noise "
    "is the evidence, not a pass/fail. Ranked by distance, then relative distance. Epochs to the "
    "early stop are shown beside (paper: R {r_ep:g}, C {c_ep:g}) but are not part of the "
    "distance: their scale is not percentage points.")


def report_section(result: dict) -> dict:
    """What the report's readings section prints: the ranking table and plain statements."""
    entries, v = result["entries"], result["verdict"]
    worst = {}
    for e in entries:
        worst[e["distance_quantity"]] = worst.get(e["distance_quantity"], 0) + 1
    statements = []
    most = max(e["n_within_noise"] for e in entries)
    if len(result["seeds"]) < 2:
        statements.append("One seed per reading: the seed noise cannot be estimated, so no reading "
                          "can be called within it.")
    elif v["within_noise"]:
        statements.append(f"Within the seed noise of every paper number: {', '.join(v['within_noise'])}.")
    else:
        statements.append(f"No reading is within the seed noise of the paper on all "
                          f"{entries[0]['n_quantities']} quantities; the most any reading reaches is "
                          f"{most} ({', '.join(e['name'] for e in entries if e['n_within_noise'] == most)}).")
    statements.append("The largest difference is " + "; ".join(
        f"{QUANTITIES[q]} for {n} of {len(entries)} readings" for q, n in
        sorted(worst.items(), key=lambda kv: -kv[1])) + ".")
    rel = next(e for e in entries if e["name"] == v["best_relative"])
    statements.append(f"Closest on the paper's R - C differences (relative distance): {rel['name']} "
                      f"({rel['relative_distance']:.2f} pp, {QUANTITIES[rel['relative_distance_quantity']]}).")
    own = next(e for e in entries if e["name"] == v["best_own"])
    statements.append(f"Closest on all of its own runs' quantities: {own['name']} (own distance "
                      f"{own['own_distance']:.2f} pp, {QUANTITIES[own['own_distance_quantity']]}).")
    if "default" in v:
        d = next(e for e in entries if e["is_default"])
        t = v["test"]
        p = fmt.p_value(t["p_value"], digits=3)
        line = (f"The default reading {v['default']} ranks {v['default_rank']} of {len(entries)} (relative "
                f"distance {d['relative_distance']:.2f} pp, set by {QUANTITIES[v['quantity']]}). ")
        if rel["name"] == d["name"]:
            line += "The default is itself the closest on the R - C differences."
        elif v["clearly_closer"]:
            line += (f"{rel['name']} is clearly closer there: its mean |difference| is {t['gain']:.2f} pp "
                     f"smaller ({t['test']}, {p}).")
        else:
            line += f"{rel['name']} is not clearly closer there ({t['test']}, {p})."
        statements.append(line)
    unofficial = [d for d, ok in result["official"].items() if not ok]
    rows = ranking_rows(result)
    return {
        "rows": rows, "columns": list(rows[0]), "statements": statements,
        "definition": DEFINITION.format(
            conf=result["confidence"], miss=1 - result["confidence"] ** entries[0]["n_quantities"],
            r_low=result["paper"]["R_low_confidence_count"], c_low=result["paper"]["C_low_confidence_count"],
            r_ep=result["paper"]["R_stopped_epoch"], c_ep=result["paper"]["C_stopped_epoch"]),
        "dropped": [{"when": ", ".join(f"{k}={x}" for k, x in d["when"].items()), "why": d["why"]}
                    for d in result["dropped"]],
        "vary": (", ".join(f"{k} in {vals}" for k, vals in result["vary"].items()) or "nothing")
                + " around the grid readings with " + (" or ".join(", ".join(f"{k}={x}" for k, x in a.items()) for a in result["vary_around"])
                                if result["vary_around"] else "any options (all of them)"),
        "inactive": "margin variations are trained only with pair_label=prediction_correct: "
                    + inactive("margin", {"pair_label": "always_similar"}),
        "seeds": ", ".join(str(s) for s in result["seeds"]), "n_runs": result["n_runs"],
        "backbone": result["backbone"],
        "train_time": (f"{result['train_seconds'] / 3600:.2f} h" if result["train_seconds"] >= 360
                       else f"{result['train_seconds']:.0f} s"),
        "unofficial": ", ".join(unofficial) if unofficial else "none",
        "figure": {"png": result["figure"], "caption": "Each reading's distance (largest |seed mean - paper| "
                   "over all quantities) and own distance (over the quantities from its own runs), ranked."},
    }
