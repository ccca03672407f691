"""Short real trainings on real digits: the loss falls, R pulls the CAM towards the input,
one seed gives byte-identical metrics, and a killed run resumes to the same result."""
import json

import numpy as np
import pytest
import torch

from conftest import MNIST_MINI, short_config, train_run
from wrongnumber.core.data import load_dataset
from wrongnumber.core.evaluate import cam_distances
from wrongnumber.core.models import PaperCNN
from wrongnumber.core.train import ConfigError, TrainConfig


def test_loss_falls(trained_runs):
    """Each variant's objective falls: for C its cross-entropy, for R the sum, which the
    contrastive term dominates early (with the default differentiable CAM weights the CE of
    R can still rise over these 4 epochs on 540 images, while the CAM moves to the digit)."""
    for variant, (_, metrics) in trained_runs.items():
        history = metrics["history"]
        assert history[-1]["train_loss"] < 0.8 * history[0]["train_loss"], variant
        term = "train_ce" if variant == "C" else "train_contrastive"
        assert history[-1][term] < history[0][term], variant
        assert history[-1]["train_accuracy"] > history[0]["train_accuracy"], variant
        assert all(0 <= h["train_accuracy"] <= 1 for h in history)


def test_r_pulls_cam_towards_input_more_than_c(trained_runs):
    data = load_dataset("mnist", data_dir=MNIST_MINI, seed=0)
    mean_distance = {}
    for variant, (run, _) in trained_runs.items():
        model = PaperCNN()
        model.load_state_dict(torch.load(run / "model.pt")["state_dict"])
        mean_distance[variant] = cam_distances(model, data.test, data.spec, "prediction").mean().item()
    assert mean_distance["R"] < mean_distance["C"], mean_distance


def test_run_folder_contents(trained_runs):
    run, metrics = trained_runs["R"]
    for name in ("metrics.json", "timings.json", "model.pt", "probes.npz", "checkpoint.pt"):
        assert (run / name).exists(), name
    probes = np.load(run / "probes.npz")
    assert probes["cams"].shape == (4, 10, 28, 28)
    assert probes["labels"].tolist() == list(range(10))
    assert 0 <= probes["cams"].min() and probes["cams"].max() <= 1 + 1e-6
    assert metrics["data"]["official"] is False
    assert metrics["n_params"] == 390_858
    assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3, 4]
    assert metrics["history"][metrics["best_epoch"] - 1]["val_loss"] == min(
        h["val_loss"] for h in metrics["history"])
    timings = json.loads((run / "timings.json").read_text())
    assert len(timings["epoch_seconds"]) == 4 and "seconds" not in (run / "metrics.json").read_text()


def test_same_seed_gives_byte_identical_metrics(tmp_path, trained_runs):
    train_run(short_config("R"), tmp_path / "again")
    assert (tmp_path / "again" / "metrics.json").read_bytes() == \
        (trained_runs["R"][0] / "metrics.json").read_bytes()


def test_other_seed_differs(tmp_path, trained_runs):
    cfg = TrainConfig(dataset="mnist", variant="C", seed=1, max_epochs=1, patience=1)
    other = train_run(cfg, tmp_path / "seed1")
    assert other["history"][0]["train_loss"] != trained_runs["C"][1]["history"][0]["train_loss"]


def test_killed_run_resumes_to_the_same_result(tmp_path, trained_runs):
    class Killed(Exception):
        pass

    def die_at_epoch_3(line):
        if line.startswith("epoch   3"):
            raise Killed  # after epoch 2's checkpoint, before epoch 3's

    out = tmp_path / "killed"
    with pytest.raises(Killed):
        _train_with_log(short_config("R"), out, die_at_epoch_3)
    assert not (out / "metrics.json").exists()  # nothing looks finished
    assert torch.load(out / "checkpoint.pt", weights_only=False)["epoch"] == 2
    train_run(short_config("R"), out, resume=True)
    assert (out / "metrics.json").read_bytes() == (trained_runs["R"][0] / "metrics.json").read_bytes()


def _train_with_log(cfg, out, log):
    from wrongnumber.core.train import train
    data = load_dataset("mnist", data_dir=MNIST_MINI, seed=cfg.seed)
    return train(cfg, data, out, torch.device("cpu"), log=log)


def test_resume_refuses_other_options(tmp_path, trained_runs):
    run = trained_runs["C"][0]
    with pytest.raises(ConfigError, match="other options"):
        train_run(short_config("C", margin=1.0), run, resume=True)


@pytest.mark.parametrize("option,value", [("variant", "X"), ("cam_target", "logit"),
                                          ("batch_size", 1), ("val_fraction", 1.0)])
def test_bad_options_name_themselves(option, value):
    with pytest.raises(ConfigError, match=option.replace("_", "-")):
        TrainConfig(**{option: value}).validate()


def test_killed_perturbed_focal_run_resumes_to_the_same_result(tmp_path):
    """The perturbation stream is checkpointed with the others: resume is exact for it too."""
    class Killed(Exception):
        pass

    def die_at_epoch_3(line):
        if line.startswith("epoch   3"):
            raise Killed
    cfg = short_config("R", perturbation="mask", classification_loss="focal")
    whole = train_run(cfg, tmp_path / "whole")
    with pytest.raises(Killed):
        _train_with_log(cfg, tmp_path / "killed", die_at_epoch_3)
    resumed = train_run(cfg, tmp_path / "killed", resume=True)
    assert resumed["history"] == whole["history"]
    assert "val_focal" in whole["history"][0] and whole["history"][0]["val_focal"] < whole["history"][0]["val_ce"]


def test_focal_loss_with_gamma_zero_is_cross_entropy():
    import torch.nn.functional as F
    from wrongnumber.core.losses import focal_loss
    logits, y = torch.randn(32, 10, generator=torch.Generator().manual_seed(0)), torch.arange(32) % 10
    torch.testing.assert_close(focal_loss(logits, y, 0.0), F.cross_entropy(logits, y))
    p = logits.softmax(1)[torch.arange(32), y]
    torch.testing.assert_close(focal_loss(logits, y, 2.0), (-(1 - p) ** 2 * p.log()).mean())
