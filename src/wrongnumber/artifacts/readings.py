"""Which reading of the paper reproduces it? The ranking as the reader sees it.

analysis/readings.py scores each reading; here the ranking becomes table rows (CSV, Markdown,
LaTeX), the distances figure, readings.json, and the report's section with its plain statements.
"""
from __future__ import annotations

from pathlib import Path

from ..analysis import claims as claims_mod
from ..analysis import evidence
from ..analysis import formatting as fmt
from ..analysis.provenance import load_runs
from ..analysis.readings import QUANTITIES, score
from ..plan.readings import inactive
from ..plan.runspec import bases
from .study_figures import readings_distances
from .table_files import write_tables
from ..analysis.comparison import load_reported


def ranking_rows(result: dict) -> list[dict]:
    """The ranking as table rows of strings: seed mean ± sd (difference from the paper)."""
    rows = []
    for e in result["entries"]:
        q, ep = e["quantities"], e["stopped_epoch"]
        rows.append({
            "rank": str(e["rank"]), "reading": e["name"] + (" (default)" if e["is_default"] else ""),
            "MNIST R acc %": fmt.pm_vs_paper(q["mnist_R_accuracy"]),
            "MNIST R true / false": f"{e['mnist_R_counts']['true']:.0f} / {e['mnist_R_counts']['false']:.0f}",
            "MNIST R-C pp": fmt.pm_vs_paper(q["mnist_R_minus_C"]),
            "t*": f"{e['threshold']:g}",
            "low conf R / C at t*": f"{e['low_confidence_counts']['R']:.0f} / {e['low_confidence_counts']['C']:.0f}",
            "epochs R / C": f"{ep['R']['mean']:.1f} / {ep['C']['mean']:.1f}",
            "Fashion subset": e["fashion_subset"],
            "Fashion R acc %": fmt.pm_vs_paper(q["fashion_R_accuracy"]), "Fashion C acc %": fmt.pm_vs_paper(q["fashion_C_accuracy"]),
            "Fashion R-C pp": fmt.pm_vs_paper(q["fashion_R_minus_C"]),
            "distance pp": f"{e['distance']:.2f} ({e['distance_quantity']})",
            "relative distance pp": f"{e['relative_distance']:.2f} ({e['relative_distance_quantity']})",
            "own distance pp": f"{e['own_distance']:.2f} ({e['own_distance_quantity']})",
            "within seed noise of the paper": "yes" if e["within_noise"] else
                f"no ({e['n_within_noise']} of {e['n_quantities']} quantities)",
        })
        if "claims" in e:
            rows[-1]["claims reproduced"] = claims_cell(e["claims"])
    return rows


CLAIM_LABELS = {"similar_accuracy": "R ≈ C", "more_low_confidence": "R more low-conf than C",
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


def from_files(study, config: dict, out_dir, *, reported, claims, runs, evals) -> tuple[dict, list]:
    """`wrongnumber readings`: every reading held against the paper's numbers and claims, from
    the study's run and evaluation folders; (the result, the files written)."""
    loaded = load_runs(runs, evals, unique=False)
    result = score(study, bases(config), loaded, load_reported(reported)["numbers"],
                   claims=claims_mod.load(claims)["claims"],
                   seed_results={r.run_dir: evidence.seed_result(r) for r in loaded})
    return result, write(result, out_dir)


def write(result: dict, out_dir) -> list:
    """The ranking as CSV, Markdown and LaTeX and the distances plot (its PNG named in `result`)."""
    out = Path(out_dir)
    paths = write_tables({"ranking": {"title": "Readings of the paper ranked by distance to its numbers",
                                      "rows": ranking_rows(result)}}, out)
    paths += readings_distances(result["entries"], out / "distances")
    result["figure"] = str(paths[-2])  # the PNG
    return paths


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
        "train_time": fmt.duration(result["train_seconds"]),
        "unofficial": ", ".join(unofficial) if unofficial else "none",
        "figure": {"png": result["figure"], "caption": "Each reading's distance (largest |seed mean - paper| "
                   "over all quantities) and own distance (over the quantities from its own runs), ranked."},
    }
