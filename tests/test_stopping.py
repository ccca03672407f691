"""The stopping study: its plan, and the scoring of (reading, rule) pairs on hand-made runs."""
import math

import pytest

from wrongnumber.analysis import stopping
from wrongnumber.artifacts import stopping as present
from wrongnumber.plan import settings
from wrongnumber.plan import stopping as plan
from wrongnumber.analysis.comparison import load_reported

STUDY = settings.of(plan.Settings, {"dataset": "mnist", "seeds": [0, 1], "horizon": 4,
         "runs": [{"variant": "C"}, {"variant": "R", "cam_weights": "detached"}],
         "rules": {"early_stop_on": ["total", "accuracy"], "patience": [1], "min_delta": [0.0]},
         "confidence": 0.95})
BASES = {"mnist": {"cam_weights": "differentiable", "max_epochs": 50, "patience": 2, "early_stop_on": "ce",
                   "min_delta": 0.001, "subset": "none", "subset_fraction": 0.15}}
H = "early_stop_on=total+max_epochs=4+min_delta=0+patience=4"  # the horizon runs' own rule


def test_plan_names_every_long_run():
    runs = plan.expand(STUDY, BASES)
    assert [(r["name"], r["seed"]) for r in runs] == [
        (f"C+{H}", 0), (f"C+{H}", 1),
        (f"R+cam_weights=detached+{H}", 0), (f"R+cam_weights=detached+{H}", 1)]
    assert {r["reading"] for r in runs} == {"C", "R+cam_weights=detached"}
    assert len(plan.rules(STUDY)) == 2


def history(losses, accs):
    return [{"epoch": e, "val_loss": l, "val_ce": l, "val_accuracy": a}
            for e, (l, a) in enumerate(zip(losses, accs), 1)]


def summary(acc: float, low: int) -> dict:
    return {"accuracy": acc, "low_confidence_sweep": {"0.9": low}, "n_test": 10_000}


def test_score_replays_each_rule_and_compares_with_the_paper():
    """The total loss stops C at 3 (best 2) and R at 2 (best 1); accuracy stops both at 3
    (best 2). Each rule is scored on the weights of its own best epoch."""
    runs = plan.expand(STUDY, BASES)
    histories = {}
    for r in runs:
        if r["variant"] == "C":
            histories[r["name"], r["seed"]] = history([1.0, 0.5, 0.6, 0.4], [0.90, 0.95, 0.94, 0.96])
        else:
            histories[r["name"], r["seed"]] = history([3.0, 3.5, 2.0, 1.0], [0.90, 0.95, 0.95, 0.97])
    decisions = stopping.decide(STUDY, histories, max_epochs=50)
    c0 = (f"C+{H}", 0)
    assert decisions[c0, 0] == {"best_epoch": 2, "stopped_epoch": 3, "stopped_early": True, "decided": True}
    evals = {}
    for key in histories:
        c = key[0].startswith("C")
        for epoch in (1, 2):  # C at 99.17 % / 30 low-confidence like the paper; R 98.44 % / 119
            evals[key, epoch] = summary(0.9917 if c else 0.9844 + 0.0001 * key[1], 30 if c else 119)
    result = stopping.score(STUDY, runs, decisions, evals, load_reported("paper/reported.yaml")["numbers"])
    rows = {r["rule_label"]: r for r in result["rows"]}
    total = rows["total, patience 1, min_delta 0"]
    assert total["stopped_epochs"] == {"R": [2, 2], "C": [3, 3]} and total["best_epochs"]["R"] == [1, 1]
    q = total["quantities"]
    assert q["C_accuracy"]["mean"] == pytest.approx(99.17) and q["C_accuracy"]["sd"] == 0
    assert q["R_accuracy"]["mean"] == pytest.approx(98.445)
    assert q["R_minus_C"]["diff"] == pytest.approx(98.445 - 99.17 - (98.44 - 99.17))
    assert q["R_low_confidence"]["mean"] == 119 and total["threshold"] == 0.9
    assert total["r_stops_earlier"] and total["distance_epochs"] == pytest.approx(13 - 3)
    accuracy = rows["accuracy, patience 1, min_delta 0"]
    assert accuracy["stopped_epochs"] == {"R": [3, 3], "C": [3, 3]} and not accuracy["r_stops_earlier"]
    assert [r["rank"] for r in result["rows"]] == [1, 2]
    assert all(math.isfinite(r["distance_pp"]) for r in result["rows"])
    assert len(present.table_rows(result)) == 2
    # the report's section: the closest pair, where the config's default stands, the thresholds
    # at which both paper counts fit (sd 0 here: only the exact counts 119 / 30 fit, at 0.9)
    result["default"] = {"reading": "R+cam_weights=detached", "rule_label": "accuracy, patience 1, min_delta 0"}
    section = present.report_section(result)
    assert section["statements"][0].startswith("Closest to the paper: R+cam_weights=detached stopped by total")
    assert "ranks 2 of 2 decided pairs" in section["statements"][1]
    assert section["statements"][2].endswith(": 0.9.")
    assert len(section["rows"]) == 2 and "rule" in section["columns"]


def test_report_section_names_an_undecided_default():
    result = {"rows": [{"reading": "R", "rule_label": "total, patience 3, min_delta 0", "decided": False,
                        "stopped_epochs": {"R": [16], "C": [7]}}],
              "paper": {"R_stopped_epoch": 9, "C_stopped_epoch": 13}, "horizon": 16, "seeds": [0],
              "n_runs": 2, "rules": [{}], "default": {"reading": "R", "rule_label": "total, patience 3, min_delta 0"}}
    section = present.report_section(result)
    assert "is undecided: a run had not stopped by epoch 16" in section["statements"][0]
    assert "1 of 1 pairs are undecided" in section["statements"][1]


def example_result(tmp_path) -> dict:
    """A stopping.json as the study writes it, for tests/test_studies.py: the native reference's."""
    import json
    from conftest import ROOT
    return json.loads((ROOT / "paper" / "regenerated-native" / "results" / "stopping" / "stopping.json").read_text())
