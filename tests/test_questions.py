"""The studies' questions (analysis/questions.py): each rule decides what it should, and refuses
runs that cannot decide (seeds that chose the defaults, unofficial data)."""
import numpy as np
import pytest

from wrongnumber.analysis import questions as q
from wrongnumber.analysis.claims import FAILS, HOLDS, NOT_ASSESSED, NOT_DECIDED

SEEDS = [3, 4, 5, 6, 7, 8]
HIGHER = {"accuracy": True, "energy_in_mask": True, "ssim": True, "l1": False}


def _cell(backbone, variant, values, seeds=SEEDS, official=True):
    return {"dataset": "mnist", "backbone": backbone, "overrides": "none", "variant": variant,
            "official": official, "seeds": seeds,
            "per_seed": {m: list(values[m]) for m in ("accuracy", "energy_in_mask", "ssim", "l1")}}


def _extension(r_minus_c, seeds=SEEDS, official=True):
    """R and C of paper_cnn, R = C + the per-seed differences `r_minus_c` on every measure."""
    rng = np.random.default_rng(0)
    base = {m: rng.uniform(0.3, 0.6, len(seeds)) for m in ("accuracy", "energy_in_mask", "ssim", "l1")}
    d = np.asarray(r_minus_c, dtype=float)
    r = {m: v + d for m, v in base.items()}
    cells = [_cell("paper_cnn", "C", base, seeds, official), _cell("paper_cnn", "R", r, seeds, official)]
    return {"cells": cells, "higher_is_better": HIGHER, "feature_map": [],
            "r_vs_c": [{"dataset": "mnist", "backbone": "paper_cnn", "overrides": "none"}]}


@pytest.mark.parametrize("diff, verdict", [
    ([0.10, 0.11, 0.09, 0.12, 0.10, 0.11], HOLDS),           # R clearly better on every part
    ([-0.10, -0.11, -0.09, -0.12, -0.10, -0.11], FAILS),     # clearly worse
    ([0.10, -0.12, 0.05, -0.03, 0.08, -0.09], NOT_DECIDED),  # noise
])
def test_extension_question_follows_the_paired_tests(diff, verdict):
    (question,) = q.extension_questions(_extension(diff))
    assert [p["id"] for p in question["parts"]] == list(q.EXTENSION_MEASURES)
    assert question["verdict"] == verdict
    assert all(p["verdict"] == verdict for p in question["parts"])
    assert all("holm" in p and p["reason"] for p in question["parts"])


def test_extension_refuses_seeds_that_chose_the_defaults_and_unofficial_data():
    diff = [0.10, 0.11, 0.09, 0.12, 0.10, 0.11]
    (chose,) = q.extension_questions(_extension(diff, seeds=[0, 1, 2, 3, 4, 5]))
    assert chose["verdict"] == NOT_ASSESSED and "chose the defaults" in chose["parts"][0]["reason"]
    (fixture,) = q.extension_questions(_extension(diff, official=False))
    assert fixture["verdict"] == NOT_ASSESSED and "unofficial" in fixture["parts"][0]["reason"]


def test_one_failing_part_fails_the_question():
    result = _extension([0.10, 0.11, 0.09, 0.12, 0.10, 0.11])
    r = next(c for c in result["cells"] if c["variant"] == "R")
    c = next(c for c in result["cells"] if c["variant"] == "C")
    r["per_seed"]["ssim"] = [x - 0.1 - 0.01 * i for i, x in enumerate(c["per_seed"]["ssim"])]
    (question,) = q.extension_questions(result)
    assert {p["id"]: p["verdict"] for p in question["parts"]}["ssim"] == FAILS
    assert question["verdict"] == FAILS


def _xai(sides, seeds=(3, 4, 5)):
    alpha = {m: {"alpha": 0.5, "lo": 0.4, "hi": 0.6} for m in sides}
    return {"seeds": list(seeds), "official": True, "reference": "C",
            "alpha": {"C": alpha, "focal": alpha}, "comparisons": {"focal": {"alpha": dict(sides)}}}


@pytest.mark.parametrize("counts, verdict", [
    ({"higher": 7, "overlapping": 5}, HOLDS),
    ({"higher": 7, "lower": 1, "overlapping": 4}, NOT_DECIDED),   # a majority, but one metric against
    ({"higher": 6, "overlapping": 6}, NOT_DECIDED),               # half is not more than half
    ({"lower": 7, "overlapping": 5}, FAILS),
    ({"undefined": 12}, NOT_ASSESSED),
])
def test_xai_question_is_a_majority_of_metrics(counts, verdict):
    sides = [s for s, n in counts.items() for _ in range(n)]
    (question,) = q.xai_questions(_xai({f"m{i}": s for i, s in enumerate(sides)}))
    assert question["verdict"] == verdict


def test_xai_refuses_seeds_that_chose_the_defaults():
    (question,) = q.xai_questions(_xai({f"m{i}": "higher" for i in range(12)}, seeds=(0, 1, 2)))
    assert question["verdict"] == NOT_ASSESSED and "chose the defaults" in question["reason"]


def test_the_reader_sees_each_answer_and_the_parts_that_differ():
    from wrongnumber.artifacts.questions import lines, rows
    (line,) = lines(q.xai_questions(_xai({**{f"m{i}": "higher" for i in range(7)}, "m7": "overlapping"})))
    assert line.startswith("holds: focal raises benchmark reliability") and "not decided: m7" in line
    (line,) = lines(q.xai_questions(_xai({"m0": "higher"}, seeds=(0, 1))))
    assert line.startswith("not assessed:") and "Parts" not in line  # nothing more to say per part
    assert len(rows(q.xai_questions(_xai({f"m{i}": "lower" for i in range(3)})))) == 3
