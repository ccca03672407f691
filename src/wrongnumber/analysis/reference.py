"""Does a fresh run reproduce the committed reference run (paper/regenerated/)?

CI trains the paper's MNIST config for one seed and compares every Table 1 number of R and C,
and the epochs they stopped at, with the reference for that seed. CPU training is deterministic
for a given torch build, CPU model, instruction set (torch's `cpu_capability`) and thread
count, so when all of them match the reference's the numbers must be equal, to the bit. When
one differs or is not recorded (another CPU: an AMD and an Intel AVX-512 machine train seed 0
to different bits; another thread count) the kernels sum in another order, the runs drift apart
and only closeness can be asked: within TOLERANCE, about the reference's seed-to-seed spread.
Torch-free.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..core.atomic import write_json

# Table 1's quantities (eval.json) and the stopping epochs (metrics.json), per run
EVAL_KEYS = ("accuracy", "true_predictions", "false_predictions", "true_low_confidence")
METRICS_KEYS = ("stopped_epoch", "best_epoch")
# What must match for bit equality: the software, the CPU model and its instruction set, the
# threads, the device. The CPU model is timings.json's `cpu` (recorded since 2026-12-02: the
# committed reference has none).
ENVIRONMENT = ("torch", "cpu", "cpu_capability", "threads", "device")
# When the environment differs the run drifts like another seed would, so the tolerances are
# the reference's seed-to-seed spread on MNIST (paper/regenerated, seeds 0-2: accuracy within
# 0.63 pp, predictions within 63 images, low-confidence counts within 30, stopping epochs
# within 7): about 1.5x each range. A broken pipeline misses them by far more.
# Accuracy in percentage points, counts in images, epochs.
TOLERANCE = {"accuracy": 1.0, "true_predictions": 100, "false_predictions": 100,
             "true_low_confidence": 60, "stopped_epoch": 10, "best_epoch": 10}


def _run_record(run: Path) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    ev = json.loads((run / "eval" / "eval.json").read_text())
    numbers = {k: ev[k] for k in EVAL_KEYS} | {k: metrics[k] for k in METRICS_KEYS}
    numbers["accuracy"] = 100 * numbers["accuracy"]
    timings = run / "timings.json"
    cpu = json.loads(timings.read_text()).get("cpu") if timings.is_file() else None
    env = {"torch": metrics["versions"]["torch"], "cpu": cpu,
           "cpu_capability": metrics["versions"].get("cpu_capability"),
           "threads": metrics.get("threads"), "device": metrics["device"]}
    return {"numbers": numbers, "environment": env}


def compare(reference: str | Path, results: str | Path, runs: list[str]) -> dict:
    """Compare each run (a path relative to both roots, e.g. results/mnist/R/paper_cnn/seed0
    -> mnist/R/paper_cnn/seed0) of `results` with the reference. Returns {"exact": bool,
    "why": str, "moved": [(run, quantity, reference value, value)], "checked": n}."""
    moved, checked, exact, why = [], 0, True, []
    for run in runs:
        ref, got = _run_record(Path(reference) / run), _run_record(Path(results) / run)
        differs = [k for k in ENVIRONMENT if ref["environment"][k] != got["environment"][k]
                   or ref["environment"][k] is None]  # unrecorded: equality cannot be asked for
        if differs:
            exact = False
            why.append(f"{run}: " + ", ".join(
                f"{k} {ref['environment'][k]} -> {got['environment'][k]}" if ref["environment"][k] is not None
                else f"the reference records no {k}" for k in differs))
        for key, want in ref["numbers"].items():
            have = got["numbers"][key]
            checked += 1
            if have != want:
                moved.append((run, key, want, have))
    if exact:
        failures = moved
        verdict = "bit for bit: same torch, CPU model, instruction set, threads and device as the reference"
    else:
        failures = [m for m in moved if abs(m[3] - m[2]) > TOLERANCE[m[1]]]
        verdict = ("within tolerance only, because " + "; ".join(why)
                   + f" (tolerances: {', '.join(f'{k} {v}' for k, v in TOLERANCE.items())})"
                   + ("; every number is nevertheless equal to the bit" if not moved else ""))
    return {"exact": exact, "verdict": verdict, "moved": moved, "failures": failures,
            "checked": checked}


# ---- making the reference: what of results/ is committed (no models, checkpoints or arrays) ----

FROZEN = ("results/config.json", "results/complexity.json",
          "results/*/*/*/seed*/metrics.json", "results/*/*/*/seed*/timings.json",
          "results/*/*/*/seed*/eval/eval.json", "results/tables/*", "results/figures/*",
          "results/stopping/*", "results/readings/*", "results/report/report.md", "results/report/index.html",
          "results/benchmarks/**/*.tsv")


def freeze(root: str | Path, out: str | Path, commit: str) -> dict:
    """Copy the committed part of a finished run (`root`/results/...) to `out`, keeping its paths
    so that the report's relative links and check-reference's run folders work from `out`, and
    write `out`/SOURCE.json: the commit that produced it and the SHA-256 of the resolved config.
    Refuses a tree whose report is missing: a half-finished run must not look like a reference."""
    import hashlib
    import shutil

    root, out = Path(root), Path(out)
    report = root / "results/report/index.html"
    if not report.exists():
        raise SystemExit(f"{report} is missing: run the workflow to the end before freezing it")
    files = sorted({p for pattern in FROZEN for p in root.glob(pattern) if p.is_file()})
    if out.exists():
        shutil.rmtree(out)
    for src in files:
        dst = out / src.relative_to(root)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    config = root / "results/config.json"
    source = {"commit": commit, "config_sha256": hashlib.sha256(config.read_bytes()).hexdigest(),
              "files": len(files), "bytes": sum(f.stat().st_size for f in files)}
    write_json(out / "SOURCE.json", source, sort_keys=False)  # last: its presence marks a whole copy
    return source
