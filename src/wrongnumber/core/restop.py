"""The run another early-stopping rule gives, derived from a run that trained at least as long.

Training does not depend on the early-stopping rule until the rule stops it: the batches, the
dropout masks and the weights of epoch e are the same under every rule that is still running
at epoch e. So from a run trained with `--keep-epoch-states` (every epoch's weights) and its
recorded validation history, `restop` writes exactly the run folder that training with another
`early_stop_on` / `patience` / `min_delta` would have written: the history, timings and probe
CAMs cut at the epoch the rule stops, the weights of its best epoch (tests/test_restop.py checks
it byte for byte against training directly). It refuses when the source run ended before the
rule would have decided.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from .data import load_for_run
from .early_stopping import replay
from .models import build_model
from ..plan import layout
from .train import ConfigError, TrainConfig, to_memory_format, write_run


def load_epoch_state(run: Path, epoch: int) -> dict:
    path = run / layout.EPOCH_STATES
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing; train the source run with --keep-epoch-states")
    return torch.load(path, map_location="cpu")[epoch]


def restop(src: str | Path, out: str | Path, device: torch.device, *, early_stop_on: str,
           patience: int, min_delta: float, max_epochs: int | None = None, data_dir=None,
           download_root=None) -> dict:
    """Write the run folder `out` that training `src`'s options with this rule (and this
    `max_epochs`, default the source's) would give."""
    src, out = Path(src), Path(out)
    metrics = json.loads((src / layout.METRICS).read_text())
    source = TrainConfig(**metrics["config"])
    cfg = replace(source, early_stop_on=early_stop_on, patience=patience, min_delta=min_delta,
                  max_epochs=max_epochs or source.max_epochs).validate()
    decision = replay(metrics["history"], cfg.early_stop_on, cfg.patience, cfg.min_delta,
                      cfg.max_epochs)
    if not decision["decided"]:
        raise ConfigError(f"{src} trained {len(metrics['history'])} epochs, and the rule "
                          f"early_stop_on={early_stop_on}, patience={patience}, min_delta={min_delta}, "
                          f"max_epochs={cfg.max_epochs} had not stopped by then; train the source "
                          "longer (--max-epochs, --patience)")
    last, best = decision["stopped_epoch"], decision["best_epoch"]
    model = to_memory_format(build_model(cfg.backbone, dropout=cfg.dropout).to(device), cfg)
    model.load_state_dict(load_epoch_state(src, best))
    data = load_for_run(cfg, metrics["data"], device, data_dir, download_root)
    timings = json.loads((src / layout.TIMINGS).read_text())
    with np.load(src / layout.PROBES) as probes:
        cams = list(probes["cams"][:last])
    out.mkdir(parents=True, exist_ok=True)
    (out / layout.METRICS).unlink(missing_ok=True)  # written last by write_run
    return write_run(out, cfg, data, model, metrics["history"][:last],
                     timings["epoch_seconds"][:last], timings["epoch_phases"][:last], cams, best,
                     decision["stopped_early"], device, threads=metrics["threads"],
                     numerics=metrics.get("numerics"))  # the weights' numerics, not this process's


def evaluate_epochs(run: str | Path, epochs, device: torch.device, threshold: float,
                    data_dir=None, download_root=None) -> dict[int, dict]:
    """{epoch: eval.json's summary} of a run's kept weights at each of `epochs` on its test
    set: what `evaluate` would report had training stopped and restored that epoch."""
    from .evaluate import evaluate

    run = Path(run)
    metrics = json.loads((run / layout.METRICS).read_text())
    cfg = TrainConfig(**metrics["config"])
    data = load_for_run(cfg, metrics["data"], device, data_dir, download_root)
    states = torch.load(run / layout.EPOCH_STATES, map_location=device)
    model = to_memory_format(build_model(cfg.backbone, dropout=cfg.dropout).to(device), cfg)
    out = {}
    for epoch in sorted(set(epochs)):
        model.load_state_dict(states[epoch])
        out[epoch] = evaluate(model, data.test, data.test_spec, cfg.cam_target, threshold)[0]
    return out
