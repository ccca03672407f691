"""Which early-stopping rule and channel-weight reading does the paper's own data support? As the
reader sees it: analysis/stopping.py's ranking as table rows (CSV, Markdown, LaTeX),
stopping.json and the report section.
"""
from __future__ import annotations

from pathlib import Path

import json

from ..analysis import formatting as fmt
from ..analysis.stopping import decide, score
from ..core.restop import evaluate_epochs
from ..plan import layout
from ..plan.runspec import bases
from ..plan.stopping import expand, rule_label
from .table_files import write_tables
from ..analysis.comparison import load_reported


def from_files(study, config: dict, out_dir, *, reported, runs, low_confidence, device) -> tuple[dict, list]:
    """`wrongnumber stopping`: replay every rule on every planned run's history, evaluate the
    epochs the rules keep, score each (reading, rule); (the result, the files written)."""
    planned = expand(study, bases(config))
    if len(planned) != len(runs):
        raise ValueError(f"--runs: {len(runs)} folders for the {len(planned)} runs the study plans")
    paths = {(r["name"], r["seed"]): Path(p) for r, p in zip(planned, runs)}
    histories = {key: json.loads((path / layout.METRICS).read_text())["history"]
                 for key, path in paths.items()}
    decisions = decide(study, histories, config["train"]["max_epochs"])
    evals = {}
    for key, path in paths.items():
        epochs = {d["best_epoch"] for (k, _), d in decisions.items() if k == key and d["decided"]}
        for epoch, summary in evaluate_epochs(path, epochs, device, low_confidence).items():
            evals[key, epoch] = summary
    result = score(study, planned, decisions, evals, load_reported(reported)["numbers"])
    result["default"] = {"reading": "R", "rule_label": rule_label(config["train"])}  # the config's own
    return result, write(result, out_dir)


def write(result: dict, out_dir) -> list:
    """The ranking as CSV, Markdown and LaTeX."""
    out = Path(out_dir)
    paths = write_tables({"ranking": {"title": "Channel-weight readings x early-stopping rules, ranked "
                                      "against the paper's Table 1 and stopping epochs",
                                      "rows": table_rows(result)}}, out)
    return paths


def table_rows(result: dict) -> list[dict]:
    """The ranking as strings: mean ± sd (difference from the paper), as the readings table."""
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
                     "R acc %": fmt.pm_vs_paper(q["R_accuracy"]), "C acc %": fmt.pm_vs_paper(q["C_accuracy"]),
                     "R-C pp": fmt.pm_vs_paper(q["R_minus_C"]), "t*": f"{r['threshold']:g}",
                     "low conf R / C at t*": f"{q['R_low_confidence']['mean']:.0f} / {q['C_low_confidence']['mean']:.0f}",
                     "epochs R / C": f"{fmt.pm_vs_paper(q['R_stopped_epoch'], 1)} / {fmt.pm_vs_paper(q['C_stopped_epoch'], 1)}",
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
