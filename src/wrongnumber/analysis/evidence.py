"""Run folders -> the per-seed records (`claims.SeedResult`) that the paper's claims are tested on.

Reads what `train` and `evaluate` wrote (metrics.json, timings.json, probes.npz, eval.json,
predictions.csv) and scores every epoch's probe CAM against its image with the same measures
as the test-set CAM quality (`explain_metrics`, torch): energy in the digit and SSIM. What it
returns is all the claims read: `claims.document` keeps it (per-probe scores, McNemar's counts)
in claims.json, so the verdicts can be recomputed without the models or the arrays.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..plan import layout
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
    with open(Path(eval_dir) / layout.PREDICTIONS) as fh:
        rows = sorted((int(r["index"]), r["label"] == r["prediction"]) for r in csv.DictReader(fh))
    return np.array([ok for _, ok in rows], dtype=bool)


def timing_of(timings: dict) -> str:
    """What timed a run: the device name (with the CPU model and the timing process's threads on
    a CPU), e.g. 'Intel(R) Xeon(R) ... (1 threads)'."""
    name, cpu = timings["device_name"], timings.get("cpu")
    return name if not cpu or cpu in name else f"{name}, {cpu}"


def seed_result(run) -> SeedResult:
    """One `provenance.Run` (run folder + its evaluation) as the claims read it."""
    m, e = run.metrics, run.eval
    with np.load(run.probes) as p:
        epochs, quality = tuple(int(x) for x in p["epochs"]), probe_quality(p["cams"], p["images"])
    return SeedResult(
        seed=run.seed, official=bool(m["data"]["official"]), n_test=e["n_test"], accuracy=e["accuracy"],
        true_low_confidence=e["true_low_confidence"], low_confidence_threshold=e["low_confidence_threshold"],
        stopped_epoch=m["stopped_epoch"], stopped_early=m["stopped_early"], best_epoch=m["best_epoch"],
        train_seconds=run.timings["total_seconds"], threads=m.get("threads"), timing=timing_of(run.timings),
        n_params=m["n_params"], cam_quality=e["cam_quality"],
        train_accuracy_eval=e.get("train_accuracy_eval"), train_loss_eval=e.get("train_loss_eval"),
        test_loss=e.get("test_loss"), probe_epochs=epochs, probe_quality=quality,
        correct=correctness(run.eval_dir))


def from_runs(runs) -> dict[tuple[str, str], list[SeedResult]]:
    """{(dataset, variant): [SeedResult per seed]} for `claims.assess`."""
    out: dict = {}
    for run in runs:
        out.setdefault((run.dataset, run.variant), []).append(seed_result(run))
    return out
