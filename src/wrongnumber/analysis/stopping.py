"""Which early-stopping rule and channel-weight reading does the paper's own data support? The scores.

plan/stopping.py plans the long runs and the rules; here every rule is replayed on every run's
validation history (`decide`) and each (reading, rule) pair is held against the paper's Table 1
and stopping epochs with the readings study's noise rule (`score`); artifacts/stopping.py
presents the ranking.
"""
from __future__ import annotations

from types import SimpleNamespace

from ..core.early_stopping import replay
from ..plan.stopping import Settings, rule_label, rules
from .readings import against_paper, best_threshold, paper_values


# ---- scoring: every (reading, rule) against the paper, from replayed decisions ----

def decide(study: Settings, histories: dict, max_epochs: int) -> dict:
    """{(run key, rule index): replay decision} for every run's history and every rule.
    `histories`: {run key: metrics["history"]}; `max_epochs`: the config's own limit (a rule
    still running at the horizon is undecided unless the limit is the horizon)."""
    return {(key, i): replay(history, r["early_stop_on"], r["patience"], r["min_delta"], max_epochs)
            for key, history in histories.items() for i, r in enumerate(rules(study))}


def score(study: Settings, runs: list[dict], decisions: dict, evals: dict, numbers: dict) -> dict:
    """One row per (R reading, rule): the R and C runs of that rule against the paper's Table 1
    and stopping epochs, with the readings study's noise rule (readings.against_paper).

    runs: expand()'s entries; decisions: {(run key, rule index): replay decision};
    evals: {(run key, epoch): eval summary}; run key = (name, seed).
    """
    paper = paper_values(numbers)
    conf = study.confidence
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
                q = {"R_accuracy": against_paper([acc(x) for x in rs], paper["mnist_R_accuracy"], conf),
                     "C_accuracy": against_paper([acc(x) for x in cs], paper["mnist_C_accuracy"], conf),
                     "R_minus_C": against_paper([acc(x) - acc(c_by_seed[x.seed]) for x in rs],
                                           paper["mnist_R_minus_C"], conf),
                     "R_low_confidence": against_paper([low(x) for x in rs], paper["R_low_confidence_count"], conf),
                     "C_low_confidence": against_paper([low(x) for x in cs], paper["C_low_confidence_count"], conf),
                     "R_stopped_epoch": against_paper(row["stopped_epochs"]["R"], paper["R_stopped_epoch"], conf),
                     "C_stopped_epoch": against_paper(row["stopped_epochs"]["C"], paper["C_stopped_epoch"], conf)}
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
            "seeds": study.seeds, "horizon": study.horizon, "rules": rules(study),
            "n_runs": len(runs)}


def threshold_fit(r_evals: list[dict], c_evals: list[dict], paper: dict, confidence: float) -> list[dict]:
    """Every sweep threshold with R's and C's true-low-confidence counts against the paper's
    119 and 30: mean, sd and whether each paper count lies in the seeds' prediction interval."""
    out = []
    for t in r_evals[0]["low_confidence_sweep"]:
        r = against_paper([e["low_confidence_sweep"][t] for e in r_evals], paper["R_low_confidence_count"], confidence)
        c = against_paper([e["low_confidence_sweep"][t] for e in c_evals], paper["C_low_confidence_count"], confidence)
        out.append({"threshold": float(t), "R": r, "C": c, "both_within_noise": r["within_noise"] and c["within_noise"]})
    return out
