"""Which early-stopping rule and channel-weight reading does the paper's own data support?

The paper says only that R "stops early, at epoch 9" and C at epoch 13, and never how Grad-CAM's
channel weights meet the loss. `expand` plans C and R under each reading of `cam_weights`, every
seed trained for a fixed horizon without stopping early, keeping every epoch's weights
(config/stopping.yaml). Torch-free: the Snakefile imports it at parse time.
"""
from __future__ import annotations

import itertools

from ..plan.runspec import run_name


def horizon_overrides(study: dict) -> dict:
    """What makes a run train the whole horizon: max_epochs = patience = horizon. Its watched
    quantity then only picks which epoch's weights model.pt keeps (the rules replayed use every
    epoch's); it is fixed, so the long runs do not depend on the config's early-stopping default."""
    return {"max_epochs": study["horizon"], "patience": study["horizon"], "early_stop_on": "total",
            "min_delta": 0.0}


def expand(study: dict, bases: dict[str, dict]) -> list[dict]:
    """Every run: {"dataset", "name", "seed", "variant", "reading"} (reading = the run's
    options without the horizon, e.g. "R+cam_weights=detached")."""
    dataset, base = study["dataset"], bases[study["dataset"]]
    runs = []
    for spec in study["runs"]:
        opts = dict(spec)
        variant = opts.pop("variant")
        reading = run_name(variant, opts, base)
        name = run_name(variant, {**opts, **horizon_overrides(study)}, base)
        runs += [{"dataset": dataset, "name": name, "seed": s, "variant": variant, "reading": reading}
                 for s in study["seeds"]]
    return runs


def rules(study: dict) -> list[dict]:
    """Every early-stopping rule to replay, as {"early_stop_on", "patience", "min_delta"}."""
    grid = study["rules"]
    keys = ("early_stop_on", "patience", "min_delta")
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


# ---- scoring: every (reading, rule) against the paper, from replayed decisions ----

def decide(study: dict, histories: dict, max_epochs: int) -> dict:
    """{(run key, rule index): replay decision} for every run's history and every rule.
    `histories`: {run key: metrics["history"]}; `max_epochs`: the config's own limit (a rule
    still running at the horizon is undecided unless the limit is the horizon)."""
    from ..core.early_stopping import replay
    return {(key, i): replay(history, r["early_stop_on"], r["patience"], r["min_delta"], max_epochs)
            for key, history in histories.items() for i, r in enumerate(rules(study))}


def rule_label(rule: dict) -> str:
    return f"{rule['early_stop_on']}, patience {rule['patience']}, min_delta {rule['min_delta']:g}"


def score(study: dict, runs: list[dict], decisions: dict, evals: dict, numbers: dict) -> dict:
    """One row per (R reading, rule): the R and C runs of that rule against the paper's Table 1
    and stopping epochs, with the readings study's noise rule (readings._summary).

    runs: expand()'s entries; decisions: {(run key, rule index): replay decision};
    evals: {(run key, epoch): eval summary}; run key = (name, seed).
    """
    from types import SimpleNamespace

    from .readings import _summary, best_threshold, paper_values
    paper = paper_values(numbers)
    conf = study.get("confidence", 0.95)
    by_reading: dict = {}
    for r in runs:
        by_reading.setdefault((r["variant"], r["reading"]), []).append(r)
    c_runs = next(v for (variant, _), v in by_reading.items() if variant == "C")
    rows = []
    for (variant, reading), r_runs in by_reading.items():
        if variant != "R":
            continue
        for i, rule in enumerate(rules(study)):
            def picked(group):
                out = []
                for run in group:
                    d = decisions[(run["name"], run["seed"]), i]
                    out.append(SimpleNamespace(seed=run["seed"], decision=d,
                                               eval=evals.get(((run["name"], run["seed"]), d["best_epoch"])),
                                               metrics={"stopped_epoch": d["stopped_epoch"]}))
                return out
            rs, cs = picked(r_runs), picked(c_runs)
            decided = all(x.decision["decided"] for x in rs + cs)
            row = {"reading": reading, "rule": rule, "rule_label": rule_label(rule), "decided": decided,
                   "stopped_epochs": {"R": [x.decision["stopped_epoch"] for x in rs],
                                      "C": [x.decision["stopped_epoch"] for x in cs]},
                   "best_epochs": {"R": [x.decision["best_epoch"] for x in rs],
                                   "C": [x.decision["best_epoch"] for x in cs]}}
            if decided:
                t = best_threshold(rs, cs, paper)
                acc = lambda x: 100 * x.eval["accuracy"]
                low = lambda x: x.eval["low_confidence_sweep"][t]
                c_by_seed = {x.seed: x for x in cs}
                q = {"R_accuracy": _summary([acc(x) for x in rs], paper["mnist_R_accuracy"], conf),
                     "C_accuracy": _summary([acc(x) for x in cs], paper["mnist_C_accuracy"], conf),
                     "R_minus_C": _summary([acc(x) - acc(c_by_seed[x.seed]) for x in rs],
                                           paper["mnist_R_minus_C"], conf),
                     "R_low_confidence": _summary([low(x) for x in rs], paper["R_low_confidence_count"], conf),
                     "C_low_confidence": _summary([low(x) for x in cs], paper["C_low_confidence_count"], conf),
                     "R_stopped_epoch": _summary(row["stopped_epochs"]["R"], paper["R_stopped_epoch"], conf),
                     "C_stopped_epoch": _summary(row["stopped_epochs"]["C"], paper["C_stopped_epoch"], conf)}
                fit = threshold_fit([x.eval for x in rs], [x.eval for x in cs], paper, conf)
                row["thresholds_both_within_noise"] = [f["threshold"] for f in fit if f["both_within_noise"]]
                accuracy = ("R_accuracy", "C_accuracy", "R_minus_C")
                row.update(threshold=float(t), quantities=q,
                           distance_pp=max(abs(q[k]["diff"]) for k in accuracy),
                           distance_epochs=max(abs(q[k]["diff"]) for k in ("R_stopped_epoch", "C_stopped_epoch")),
                           n_within_noise=sum(v["within_noise"] for v in q.values()), n_quantities=len(q),
                           r_stops_earlier=all(a < b for a, b in zip(sorted(row["stopped_epochs"]["R"]),
                                                                       sorted(row["stopped_epochs"]["C"]))))
            rows.append(row)
    ranked = sorted((r for r in rows if r["decided"]),
                    key=lambda r: (-r["n_within_noise"], round(r["distance_epochs"], 9), r["distance_pp"]))
    for rank, r in enumerate(ranked, 1):
        r["rank"] = rank
    return {"rows": ranked + [r for r in rows if not r["decided"]], "paper": paper, "confidence": conf,
            "seeds": study["seeds"], "horizon": study["horizon"], "rules": rules(study),
            "n_runs": len(runs)}


def threshold_fit(r_evals: list[dict], c_evals: list[dict], paper: dict, confidence: float) -> list[dict]:
    """Every sweep threshold with R's and C's true-low-confidence counts against the paper's
    119 and 30: mean, sd and whether each paper count lies in the seeds' prediction interval."""
    from .readings import _summary
    out = []
    for t in r_evals[0]["low_confidence_sweep"]:
        r = _summary([e["low_confidence_sweep"][t] for e in r_evals], paper["R_low_confidence_count"], confidence)
        c = _summary([e["low_confidence_sweep"][t] for e in c_evals], paper["C_low_confidence_count"], confidence)
        out.append({"threshold": float(t), "R": r, "C": c, "both_within_noise": r["within_noise"] and c["within_noise"]})
    return out


def table_rows(result: dict) -> list[dict]:
    """The ranking as strings: mean ± sd (difference from the paper), as the readings table."""
    from .readings import _pm as pm
    rows = []
    for r in result["rows"]:
        epochs = " / ".join(",".join(str(e) for e in r["stopped_epochs"][v]) for v in ("R", "C"))
        if not r["decided"]:
            rows.append({"rank": "-", "reading": r["reading"], "rule": r["rule_label"],
                         "stopped R / C (per seed)": epochs, "R acc %": "undecided within the horizon",
                         "C acc %": "-", "R-C pp": "-", "t*": "-", "low conf R / C at t*": "-",
                         "epochs R / C": "-", "within noise": "-"})
            continue
        q = r["quantities"]
        rows.append({"rank": str(r["rank"]), "reading": r["reading"], "rule": r["rule_label"],
                     "stopped R / C (per seed)": epochs,
                     "R acc %": pm(q["R_accuracy"]), "C acc %": pm(q["C_accuracy"]),
                     "R-C pp": pm(q["R_minus_C"]), "t*": f"{r['threshold']:g}",
                     "low conf R / C at t*": f"{q['R_low_confidence']['mean']:.0f} / {q['C_low_confidence']['mean']:.0f}",
                     "epochs R / C": f"{pm(q['R_stopped_epoch'], 1)} / {pm(q['C_stopped_epoch'], 1)}",
                     "within noise": f"{r['n_within_noise']} of {r['n_quantities']}"})
    return rows


def report_section(result: dict) -> dict:
    """What the report's stopping section prints: plain statements and the ranking table.
    `result["default"]` (written by the CLI): the config's own reading and rule."""
    rows, d = result["rows"], result.get("default", {})
    decided = [r for r in rows if r["decided"]]
    statements = []
    if decided:
        top = decided[0]
        statements.append(
            f"Closest to the paper: {top['reading']} stopped by {top['rule_label']}: "
            f"{top['n_within_noise']} of {top['n_quantities']} quantities within the seed noise, "
            f"stopping epochs R {top['stopped_epochs']['R']} / C {top['stopped_epochs']['C']} "
            f"(paper {result['paper']['R_stopped_epoch']:g} / {result['paper']['C_stopped_epoch']:g}).")
    mine = [r for r in rows if r["reading"] == d.get("reading") and r["rule_label"] == d.get("rule_label")]
    if mine:
        r = mine[0]
        where = (f"ranks {r['rank']} of {len(decided)} decided pairs" if r["decided"] else
                 f"is undecided: a run had not stopped by epoch {result['horizon']}")
        statements.append(f"The config's default, {r['reading']} with {r['rule_label']}, {where}; "
                          f"stopping epochs R {r['stopped_epochs']['R']} / C {r['stopped_epochs']['C']}.")
        if r["decided"]:
            t = r["thresholds_both_within_noise"]
            statements.append(
                "Low-confidence thresholds at which both the paper's R and C counts "
                f"({result['paper']['R_low_confidence_count']:g} / {result['paper']['C_low_confidence_count']:g}) "
                "fall within these runs' seed noise: "
                + (", ".join(f"{x:g}" for x in t) if t else "none") + ".")
    undecided = len(rows) - len(decided)
    if undecided:
        statements.append(f"{undecided} of {len(rows)} pairs are undecided: some run was still "
                          f"improving at epoch {result['horizon']}, the horizon.")
    table = table_rows(result)
    return {"seeds": result["seeds"], "horizon": result["horizon"], "n_runs": result["n_runs"],
            "n_rules": len(result["rules"]), "statements": statements,
            "columns": list(table[0]) if table else [], "rows": table}
