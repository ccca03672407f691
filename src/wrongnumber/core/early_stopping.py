"""Early stopping: which validation quantity is watched, how long without improvement, by how much.

The paper says only that R "stops early, at epoch 9" and C at epoch 13, so the rule is an open
choice (config/README.md): `early_stop_on` is the watched quantity, `patience` the number of
epochs without improvement after which training stops, `min_delta` the smallest change that
counts as one (in the quantity's own unit: loss, or accuracy as a fraction). The best epoch's
weights are restored.

One class serves training (updated once per epoch) and `replay` (run over a finished run's
recorded validation history), so a rule can be tried on runs that trained longer than it would
have let them, with the same decisions training would have made. Torch-free.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# option value -> (history key, +1 if larger is better else -1)
MONITORS = {"total": ("val_loss", -1), "ce": ("val_ce", -1), "accuracy": ("val_accuracy", 1)}


@dataclass
class EarlyStopping:
    monitor: str
    patience: int
    min_delta: float = 0.0
    best: float = math.inf      # the best value so far, as a loss (accuracy negated)
    best_epoch: int = 0
    bad_epochs: int = 0

    def update(self, epoch: int, row: dict) -> bool:
        """Take one epoch's validation row; True if it is the new best (keep its weights)."""
        key, sign = MONITORS[self.monitor]
        value = -sign * row[key]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def stop(self) -> bool:
        return self.bad_epochs >= self.patience


def replay(history: list[dict], monitor: str, patience: int, min_delta: float = 0.0,
           max_epochs: int | None = None) -> dict:
    """What the rule decides on a recorded history: {"best_epoch", "stopped_epoch",
    "stopped_early", "decided"}. `decided` is False when the history ends before the rule would
    stop and before `max_epochs`: the run did not train long enough to tell."""
    rule = EarlyStopping(monitor, patience, min_delta)
    for row in history:
        rule.update(row["epoch"], row)
        if rule.stop or row["epoch"] == max_epochs:
            return {"best_epoch": rule.best_epoch, "stopped_epoch": row["epoch"],
                    "stopped_early": rule.stop, "decided": True}
    return {"best_epoch": rule.best_epoch, "stopped_epoch": history[-1]["epoch"] if history else 0,
            "stopped_early": False, "decided": False}
