"""Early-stopping rules: known answers for each watched quantity, patience and min_delta; a
replay of a recorded history makes training's decisions; `restop` derives, byte for byte, the
run that training with another rule writes."""
import filecmp
from dataclasses import replace

import pytest
import torch

from conftest import MNIST_MINI, short_config, train_run
from wrongnumber.core.early_stopping import replay
from wrongnumber.core.restop import restop
from wrongnumber.core.train import ConfigError, TrainConfig

# val_loss falls until epoch 3, then rises; val_ce falls by less and less (one blip); accuracy
# peaks at epoch 2 and then ties it (a tie is no improvement).
HISTORY = [
    {"epoch": 1, "val_loss": 3.0, "val_ce": 0.50, "val_accuracy": 0.90},
    {"epoch": 2, "val_loss": 2.0, "val_ce": 0.40, "val_accuracy": 0.95},
    {"epoch": 3, "val_loss": 1.9, "val_ce": 0.39, "val_accuracy": 0.95},
    {"epoch": 4, "val_loss": 2.5, "val_ce": 0.385, "val_accuracy": 0.94},
    {"epoch": 5, "val_loss": 2.6, "val_ce": 0.3855, "val_accuracy": 0.95},
    {"epoch": 6, "val_loss": 2.7, "val_ce": 0.383, "val_accuracy": 0.93},
]


@pytest.mark.parametrize("monitor, patience, min_delta, best, stopped, early", [
    ("total", 2, 0.0, 3, 5, True),       # the loss rises after epoch 3
    ("total", 2, 0.2, 2, 4, True),       # 1.9 is not 0.2 better than 2.0
    ("ce", 2, 0.0, 6, 6, False),         # still improving at the end: undecided
    ("ce", 2, 0.005, 3, 5, True),        # 0.385 is only 0.005 better than 0.39: not enough
    ("accuracy", 2, 0.0, 2, 4, True),    # 0.95 again at epoch 3 does not count
    ("accuracy", 5, 0.0, 2, 6, False),   # patience outlasts the history: undecided
])
def test_replay_known_answers(monitor, patience, min_delta, best, stopped, early):
    got = replay(HISTORY, monitor, patience, min_delta)
    assert (got["best_epoch"], got["stopped_epoch"], got["stopped_early"]) == (best, stopped, early)
    assert got["decided"] == (early or stopped < 6)


def test_replay_at_max_epochs_is_decided():
    got = replay(HISTORY, "ce", 2, 0.0, max_epochs=6)
    assert got == {"best_epoch": 6, "stopped_epoch": 6, "stopped_early": False, "decided": True}


def test_invalid_rule_is_one_clear_error():
    with pytest.raises(ConfigError, match="early-stop-on"):
        TrainConfig(early_stop_on="val_loss").validate()
    with pytest.raises(ConfigError, match="min-delta"):
        TrainConfig(min_delta=-1.0).validate()


@pytest.mark.slow
def test_restop_equals_training_with_that_rule(tmp_path):
    """A 4-epoch run kept every epoch's weights; the rule (accuracy, patience 1) stops earlier.
    Deriving its run gives the same metrics.json, model.pt and probes.npz as training it."""
    long = short_config("R")  # 4 epochs, patience 4: never stops early
    train_run(long, tmp_path / "long", keep_epoch_states=True)
    rule = {"early_stop_on": "accuracy", "patience": 1, "min_delta": 0.0, "max_epochs": 50}
    direct = train_run(replace(long, **rule), tmp_path / "direct")
    assert direct["stopped_epoch"] < 4  # else the test would not test a cut
    derived = restop(tmp_path / "long", tmp_path / "derived", torch.device("cpu"),
                     data_dir=MNIST_MINI, **rule)
    assert derived == direct
    for name in ("metrics.json", "model.pt", "probes.npz"):
        assert filecmp.cmp(tmp_path / "direct" / name, tmp_path / "derived" / name, shallow=False), name
    with pytest.raises(ConfigError, match="had not stopped"):  # it stopped before max_epochs
        restop(tmp_path / "direct", tmp_path / "never", torch.device("cpu"), data_dir=MNIST_MINI,
               early_stop_on="total", patience=50, min_delta=0.0)
