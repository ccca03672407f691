"""Renaming run folders after a default changes: every run keeps its options, none retrains."""
import json

import pytest

from conftest import fake_run
from wrongnumber.core.models import MODELS
from wrongnumber.plan.rename import apply, plan
from wrongnumber.plan.runspec import RunNameError, bases, rename

OLD = {"train": {"cam_weights": "detached", "contrastive_weight": 1.0, "margin": 2.0},
       "data": {d: {"subset": s, "subset_fraction": 0.15} for d, s in (("mnist", "none"), ("fashion", "train"))}}
NEW = json.loads(json.dumps(OLD))
NEW["train"].update(cam_weights="differentiable", contrastive_weight=0.1)


def test_rename_swaps_what_is_default():
    o, n = bases(OLD)["mnist"], bases(NEW)["mnist"]
    assert rename("R", o, n) == "R+cam_weights=detached+contrastive_weight=1"
    assert rename("R+cam_weights=differentiable+contrastive_weight=0.1", o, n) == "R"
    assert rename("C", o, n) == "C+cam_weights=detached+contrastive_weight=1"  # every option counts
    assert rename("R+margin=10", o, n) == "R+cam_weights=detached+contrastive_weight=1+margin=10"
    with pytest.raises(RunNameError, match="differ in which options"):
        rename("R", o, dict(n, extra=1))


def test_plan_and_apply_move_folders_logs_and_benchmarks(tmp_path):
    res = tmp_path / "results"
    for name in ("R", "R+cam_weights=differentiable+contrastive_weight=0.1", "C"):
        fake_run(res, "mnist", name, 0, metrics={"name": name})
    (res / "logs" / "train").mkdir(parents=True)
    (res / "logs" / "train" / "mnist_R_paper_cnn_seed0.log").write_text("log of R")
    (res / "benchmarks" / "train").mkdir(parents=True)
    (res / "benchmarks" / "train" / "mnist_R+cam_weights=differentiable+contrastive_weight=0.1_paper_cnn_seed0.tsv").write_text("b")
    moves = plan(res, bases(OLD), bases(NEW), MODELS)
    assert len(moves) == 5
    apply(moves)
    assert json.loads((res / "mnist" / "R" / "paper_cnn" / "seed0" / "metrics.json").read_text())["name"] == \
        "R+cam_weights=differentiable+contrastive_weight=0.1"  # the chain R -> ... and ... -> R
    assert json.loads((res / "mnist" / "R+cam_weights=detached+contrastive_weight=1" / "paper_cnn" / "seed0"
                       / "metrics.json").read_text())["name"] == "R"
    assert (res / "logs" / "train" / "mnist_R+cam_weights=detached+contrastive_weight=1_paper_cnn_seed0.log").read_text() == "log of R"
    assert (res / "benchmarks" / "train" / "mnist_R_paper_cnn_seed0.tsv").read_text() == "b"
    assert plan(res, bases(NEW), bases(NEW), MODELS) == []
