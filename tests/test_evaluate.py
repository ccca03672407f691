"""Evaluation counts, the low-confidence sweep and the failure-case rule."""
import numpy as np
import pytest
import torch

from conftest import MNIST_MINI
from wrongnumber.core.data import load_dataset
from wrongnumber.core.evaluate import evaluate, pick_failures
from wrongnumber.core.models import PaperCNN


def test_pick_failures_rule():
    labels = np.array([4, 4, 4, 3, 3, 1])
    preds = np.array([4, 9, 4, 3, 3, 1])
    confs = np.array([0.5, 0.6, 0.95, 0.99, 0.4, 0.97])
    picked = pick_failures(labels, preds, confs, threshold=0.9)
    assert picked[4] == 0   # correct but conf 0.5 beats the misclassified one at 0.6
    assert picked[3] == 4   # the low-confidence 3
    assert picked[1] == -1  # the only 1 is confident and correct
    ties = pick_failures(np.array([2, 2]), np.array([0, 0]), np.array([0.3, 0.3]), 0.9)
    assert ties[2] == 0     # ties go to the lowest index


def test_evaluate_counts_are_consistent(trained_runs):
    run, _ = trained_runs["C"]
    data = load_dataset("mnist", data_dir=MNIST_MINI, seed=0)
    model = PaperCNN()
    model.load_state_dict(torch.load(run / "model.pt")["state_dict"])
    summary, per_sample, failures = evaluate(model, data.test, data.spec, "prediction", 0.9)
    n = summary["n_test"]
    assert n == 200 and summary["true_predictions"] + summary["false_predictions"] == n
    assert summary["accuracy"] == summary["true_predictions"] / n
    assert np.array(summary["confusion_matrix"]).trace() == summary["true_predictions"]
    sweep = list(summary["low_confidence_sweep"].values())
    assert sweep == sorted(sweep)  # a higher threshold can only count more
    assert summary["low_confidence_sweep"]["0.9"] == summary["true_low_confidence"]
    correct = per_sample["label"] == per_sample["prediction"]
    assert int((correct & (per_sample["confidence"] < 0.9)).sum()) == summary["true_low_confidence"]
    k = failures["indices"] >= 0
    assert (failures["labels"][k] == failures["classes"][k]).all()
    assert failures["cams"].shape == (10, 28, 28)


def test_energy_above_uniform_known_answers():
    from wrongnumber.core.evaluate import energy_above_uniform
    x01 = torch.zeros(3, 1, 4, 4)
    x01[:, :, :2, :] = 1.0                      # half the pixels carry ink
    on_ink = x01.clone()                        # all the map on the ink
    uniform = torch.ones(3, 1, 4, 4)            # a uniform map: the ink share of its mass on ink
    off = 1 - x01                               # all the map off the ink
    assert torch.allclose(energy_above_uniform(on_ink, x01), torch.ones(3))
    assert torch.allclose(energy_above_uniform(uniform, x01), torch.zeros(3), atol=1e-6)
    assert torch.allclose(energy_above_uniform(off, x01), -torch.ones(3))
    sparse = torch.zeros(1, 1, 4, 4)
    sparse[..., 0, :2] = 1.0                    # 2 of 16 pixels ink: a uniform map still scores 0
    assert abs(float(energy_above_uniform(torch.ones(1, 1, 4, 4), sparse))) < 1e-6


def test_eval_mode_fit_and_test_loss(trained_runs):
    import torch.nn.functional as F
    from wrongnumber.core.evaluate import fit_pass
    from wrongnumber.core.data import to_model_input
    run, _ = trained_runs["C"]
    data = load_dataset("mnist", data_dir=MNIST_MINI, seed=0)
    model = PaperCNN()
    model.load_state_dict(torch.load(run / "model.pt")["state_dict"])
    model.train()                                # fit_pass must switch dropout off itself
    fit = fit_pass(model, data.train, data.spec, batch_size=64)
    assert not model.training and fit["n"] == len(data.train.labels)
    with torch.no_grad():
        logits = model(to_model_input(data.train.images, data.spec)[0])[0]
    assert fit["accuracy"] == float((logits.argmax(1) == data.train.labels).double().mean())
    assert fit["cross_entropy"] == pytest.approx(float(F.cross_entropy(logits.double(), data.train.labels)), rel=1e-9)
    summary, _, _ = evaluate(model, data.test, data.spec, "prediction", 0.9)
    with torch.no_grad():
        test_logits = model(to_model_input(data.test.images, data.spec)[0])[0]
    assert summary["test_loss"] == pytest.approx(float(F.cross_entropy(test_logits.double(), data.test.labels)), rel=1e-6)
    assert 0 < summary["ink_share"] < 1 and "energy_above_uniform" in summary["cam_quality"]
