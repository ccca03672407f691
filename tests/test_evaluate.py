"""Evaluation counts, the low-confidence sweep and the failure-case rule."""
import numpy as np
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
