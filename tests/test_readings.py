"""The readings ablation: which runs the grid asks for, and how a reading is scored."""
import math
from types import SimpleNamespace

import pytest
import yaml

from conftest import BASES, ROOT, short_config, train_run
from wrongnumber.analysis.readings import closer_test, paper_values, prediction_interval_half_width, score
from wrongnumber.artifacts.readings import report_section
from wrongnumber.plan import settings
from wrongnumber.plan.readings import Settings, expand, r_readings
from wrongnumber.plan.runspec import run_name

STUDY = yaml.safe_load((ROOT / "config" / "readings.yaml").read_text())["readings"]
S = lambda section: settings.of(Settings, section)  # noqa: E731
NUMBERS = yaml.safe_load((ROOT / "paper" / "reported.yaml").read_text())["numbers"]


def test_grid_drops_the_incoherent_combination_and_dead_margins():
    rs = r_readings(S(STUDY), BASES["mnist"])
    grid = [r for r in rs if set(r) == {"cam_target", "pair_label", "cam_weights"}]
    assert len(grid) == 6  # 2 x 2 x 2 minus label x prediction_correct (2)
    assert not any(r["cam_target"] == "label" and r["pair_label"] == "prediction_correct" for r in rs)
    margins = [r for r in rs if "margin" in r]
    assert margins and all(r["pair_label"] == "prediction_correct" for r in margins)
    # around the 3 detached grid readings: 2 lambdas each, and 2 margins for the one with
    # prediction_correct
    assert len(rs) == 6 + 3 * 2 + 1 * 2
    assert all(r["cam_weights"] == "detached" for r in rs[6:])
    everywhere = r_readings(S({k: v for k, v in STUDY.items() if k != "vary_around"}), BASES["mnist"])
    assert len(everywhere) == 6 + 6 * 2 + 2 * 2


def test_expand_lists_every_run_once_with_the_default_reading_named_R():
    study = {k: v for k, v in STUDY.items() if k != "more_seeds"} | {"seeds": [0, 1, 2]}
    runs = expand(S(study), BASES)
    keys = [(r["dataset"], r["name"], r["seed"]) for r in runs]
    assert len(keys) == len(set(keys))
    assert ("mnist", "R", 0) in keys and ("mnist", "C", 2) in keys
    assert ("fashion", "C+subset=pooled", 1) in keys and ("fashion", "R+subset=test", 0) in keys
    assert ("fashion", "R+normalization=mnist_at_test", 2) in keys  # a slip: Fashion only
    assert not any("normalization" in n for d, n, _ in keys if d == "mnist")
    assert not any("subset=train" in n for _, n, _ in keys)  # the base subset is no override
    slips = len(STUDY["fashion_slips"])
    assert len(runs) == 3 * (2 * (1 + 14) + 2 * 2 + 2 * slips)


def test_more_seeds_go_to_the_listed_readings_and_to_C_only():
    study = dict(STUDY, seeds=[0], more_seeds={"seeds": [1, 2], "readings": [{"cam_target": "label"}]})
    runs = expand(S(study), BASES)
    seeds = {}
    for r in runs:
        seeds.setdefault((r["dataset"], r["name"]), set()).add(r["seed"])
    label = run_name("R", {"cam_target": "label"}, BASES["mnist"])
    assert seeds[("mnist", label)] == {0, 1, 2} and seeds[("mnist", "C")] == {0, 1, 2}
    assert seeds[("mnist", "R")] == {0}
    assert seeds[("fashion", "C+subset=pooled")] == {0}  # Fashion-only readings keep the study's seeds


@pytest.mark.slow
def test_margin_cannot_change_a_run_whose_pairs_are_all_similar(tmp_path):
    """Why the grid never trains margin variations with pair_label=always_similar."""
    histories = [train_run(short_config("R", margin=m), tmp_path / f"m{m}")["history"]
                 for m in (2.0, 10.0)]
    assert histories[0] == histories[1]


def fake_run(dataset, name, seed, accuracy, stopped=10, low=None, n_test=10_000):
    sweep = low or {"0.5": 0, "0.9": 100, "0.99": 400}
    return SimpleNamespace(
        dataset=dataset, name=name, seed=seed, backbone="paper_cnn",
        eval={"accuracy": accuracy, "n_test": n_test, "low_confidence_sweep": sweep,
              "true_predictions": round(accuracy * n_test), "false_predictions": n_test - round(accuracy * n_test)},
        metrics={"stopped_epoch": stopped, "data": {"official": False}},
        timings={"total_seconds": 60.0})


def small_study():
    return {"seeds": [0, 1, 2], "grid": {"cam_target": ["prediction", "label"]}, "drop": [],
            "vary": {}, "fashion_subsets": ["train"], "confidence": 0.95}


def small_runs(r_label_mnist):
    runs = []
    for s, jitter in enumerate((-0.001, 0.0, 0.001)):
        runs += [fake_run("mnist", "C", s, 0.99 + jitter, stopped=13, low={"0.5": 0, "0.9": 30, "0.99": 90}),
                 fake_run("mnist", "R", s, 0.975 + jitter, stopped=9, low={"0.5": 5, "0.9": 119, "0.99": 300}),
                 fake_run("mnist", "R+cam_target=label", s, r_label_mnist + jitter),
                 fake_run("fashion", "C", s, 0.64 + jitter), fake_run("fashion", "R", s, 0.65 + jitter),
                 fake_run("fashion", "R+cam_target=label", s, 0.65 + jitter)]
    return runs


def test_score_known_answer():
    result = score(S(small_study()), BASES, small_runs(0.98), NUMBERS)
    paper = paper_values(NUMBERS)
    by = {e["name"]: e for e in result["entries"]}
    r = by["R"]
    assert r["threshold"] == 0.9  # R 119 and C 30 at 0.9: the paper's counts exactly
    q = r["quantities"]
    assert q["mnist_R_accuracy"]["mean"] == pytest.approx(97.5)
    assert q["mnist_R_minus_C"]["mean"] == pytest.approx(97.5 - 99.0)
    assert q["mnist_R_low_confidence"]["diff"] == pytest.approx(0.0)
    assert q["fashion_R_minus_C"]["mean"] == pytest.approx(1.0)
    # largest |difference|: R acc (97.5 vs 98.44) beats R - C (-1.5 vs -0.73) and C (99 vs 99.17)
    assert r["distance_quantity"] == "mnist_R_accuracy"
    expected = max(abs(97.5 - paper["mnist_R_accuracy"]), abs(-1.5 - paper["mnist_R_minus_C"]),
                   abs(99.0 - paper["mnist_C_accuracy"]))
    assert r["distance"] == pytest.approx(expected)
    sd = 0.1  # the +-0.1 pp jitter over three seeds
    assert q["mnist_R_accuracy"]["interval_half_width"] == pytest.approx(
        prediction_interval_half_width(sd, 3), rel=1e-6)
    assert q["mnist_R_low_confidence"]["within_noise"] is True  # exactly the paper's, zero spread
    assert r["is_default"] and not by["R+cam_target=label"]["is_default"]
    assert [e["rank"] for e in result["entries"]] == [1, 2]
    assert result["verdict"]["within_noise"] == []
    assert r["mnist_R_counts"] == {"true": pytest.approx(9750), "false": pytest.approx(250)}
    section = report_section(dict(result, figure="distances.png"))
    assert len(section["rows"]) == 2 and section["columns"] == list(section["rows"][0])
    assert section["statements"][0].startswith("No reading is within the seed noise of the paper")
    default = section["statements"][-1]  # ranked on the R - C differences, where the label reading is closer
    assert default.startswith("The default reading R ranks 2 of 2 (relative distance 0.77 pp")
    assert "R+cam_target=label is clearly closer there" in default and default.endswith("p = 1.93e-55).")
    assert section["seeds"] == "0, 1, 2" and section["n_runs"] == len(small_runs(0.98))


def test_ranking_follows_the_distance():
    near = score(S(small_study()), BASES, small_runs(0.9844), NUMBERS)  # label reading hits 98.44
    far = score(S(small_study()), BASES, small_runs(0.90), NUMBERS)
    assert near["verdict"]["best_own"] == "R+cam_target=label"
    assert near["entries"][0]["own_distance"] < 0.2  # only its low-confidence share misses
    assert far["entries"][0]["name"] == "R" and far["entries"][1]["distance"] > 8


def test_missing_run_is_named():
    runs = [r for r in small_runs(0.98) if not (r.dataset == "fashion" and r.name == "R")]
    with pytest.raises(ValueError, match="no finished run fashion/R"):
        score(S(small_study()), BASES, runs, NUMBERS)


def test_prediction_interval():
    assert math.isnan(prediction_interval_half_width(0.5, 1))
    assert prediction_interval_half_width(1.0, 3) == pytest.approx(4.302653 * math.sqrt(4 / 3), rel=1e-5)


def test_the_default_reading_is_always_trained_and_drops_match_resolved_options():
    base = dict(BASES["mnist"], cam_weights="detached", cam_target="prediction", pair_label="always_similar")
    study = {"seeds": [0], "grid": {"cam_weights": ["differentiable"]},
             "drop": [{"when": {"cam_target": "label"}, "why": "never matches: the base is prediction"}],
             "vary": {"contrastive_weight": [0.1]}, "vary_around": [{"pair_label": "always_similar"}]}
    names = [run_name("R", r, base) for r in r_readings(S(study), base)]
    assert names[:2] == ["R", "R+cam_weights=differentiable"]  # the default is inserted first
    assert "R+contrastive_weight=0.1" in names  # vary_around matched the base's pair_label
    gone = r_readings(S(dict(study, drop=[{"when": {"pair_label": "always_similar"}, "why": "all"}])), base)
    assert [run_name("R", r, base) for r in gone] == ["R", "R+contrastive_weight=0.1"]


def test_clearly_closer_needs_a_significant_gain():
    q = lambda values: {"paper": 1.0, "values": values}
    far, near = q([-12.0, -10.0, -15.0]), q([-3.3, -3.6, -3.7])
    t = closer_test(far, near)
    assert t["closer"] and t["gain"] == pytest.approx(12.33 - 3.53, abs=0.01) and t["p_value"] < 0.05
    assert not closer_test(near, far)["closer"]                        # worse is never closer
    assert not closer_test(q([-1.0, -3.0, 0.5]), q([-0.5, -2.0, 0.9]))["closer"]  # within the spread
    assert not closer_test(q([-2.0]), q([0.0]))["closer"]              # one seed: no test


def example_result(tmp_path) -> dict:
    """A readings.json as the study writes it, for tests/test_studies.py: the committed one of the
    native reference (paper/regenerated-native), its plot found there."""
    import json
    native = ROOT / "paper" / "regenerated-native"
    result = json.loads((native / "results" / "readings" / "readings.json").read_text())
    return dict(result, figure=str(native / result["figure"]))
