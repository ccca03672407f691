"""Run folders -> the per-seed records (`claims.SeedResult`) that the paper's claims are tested on.

Reads what `train` and `evaluate` wrote (metrics.json, timings.json, probes.npz, eval.json,
predictions.csv) and scores every epoch's probe CAM against its image with the same measures
as the test-set CAM quality (`explain_metrics`, torch): energy in the digit and SSIM.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .claims import SeedResult


def probe_quality(cams: np.ndarray, images: np.ndarray) -> dict[str, np.ndarray]:
    """{measure: (E, K)} for CAMs (E, K, H, W) in [0, 1] of the images (K, H, W) uint8."""
    import torch
    from ..core.explain_metrics import energy_pointing_game, input_mask, ssim_to_input
    e, k = cams.shape[:2]
    maps = torch.from_numpy(np.ascontiguousarray(cams, dtype=np.float32)).flatten(0, 1)[:, None]  # (E*K, 1, H, W)
    x01 = torch.from_numpy(images.astype(np.float32) / 255)[None].expand(e, *images.shape).flatten(0, 1)[:, None]
    scores = {"energy_in_mask": energy_pointing_game(maps, input_mask(x01)), "ssim": ssim_to_input(maps, x01)}
    return {m: s.double().numpy().reshape(e, k) for m, s in scores.items()}


def correctness(eval_dir: Path) -> np.ndarray:
    """Per test image (sorted by test index): was the prediction right? From predictions.csv."""
    with open(Path(eval_dir) / "predictions.csv") as fh:
        rows = sorted((int(r["index"]), r["label"] == r["prediction"]) for r in csv.DictReader(fh))
    return np.array([ok for _, ok in rows], dtype=bool)


def seed_result(run) -> SeedResult:
    """One `provenance.Run` (run folder + its evaluation) as the claims read it."""
    m, e = run.metrics, run.eval
    restored = m["history"][m["best_epoch"] - 1]
    with np.load(run.probes) as p:
        epochs, quality = tuple(int(x) for x in p["epochs"]), probe_quality(p["cams"], p["images"])
    return SeedResult(
        seed=run.seed, official=bool(m["data"]["official"]), n_test=e["n_test"], accuracy=e["accuracy"],
        true_low_confidence=e["true_low_confidence"], low_confidence_threshold=e["low_confidence_threshold"],
        stopped_epoch=m["stopped_epoch"], stopped_early=m["stopped_early"],
        train_seconds=run.timings["total_seconds"], n_params=m["n_params"], cam_quality=e["cam_quality"],
        train_accuracy=restored.get("train_accuracy"), probe_epochs=epochs, probe_quality=quality,
        correct=correctness(run.eval_dir))


def from_runs(runs) -> dict[tuple[str, str], list[SeedResult]]:
    """{(dataset, variant): [SeedResult per seed]} for `claims.assess`."""
    out: dict = {}
    for run in runs:
        out.setdefault((run.dataset, run.variant), []).append(seed_result(run))
    return out
