"""Does a fresh run reproduce the committed reference run (paper/regenerated/)?

CI trains the paper's MNIST config for one seed and compares every Table 1 number of R and C,
the epochs they stopped at and the validation contrastive loss at the restored epoch with the
reference for that seed. Under `portable` numerics (plan/numerics.py) a run's bits are meant to
depend on nothing but torch, the numerics pins, the thread count and the device, not on the CPU
model, so when both runs are portable and those match the numbers must be equal, to the bit, on
any x86-64 machine: a difference is a finding (docs/numerics.md), never a tolerance. Under
`native` numerics (or a reference without the record) bits are promised only for the same torch,
CPU model, instruction set, threads and device; elsewhere the runs drift apart like another seed
would, and only closeness can be asked: within TOLERANCE, which is tight enough to fail a run
that trained R into C (tests/test_reference.py). Torch-free.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..core.atomic import write_json
from ..core.evaluate import TABLE1_KEYS
from ..plan import layout
from ..plan.studies import STUDIES

# Table 1's quantities (eval.json), the stopping epochs and the validation contrastive loss at
# the restored epoch (metrics.json), per run
METRICS_KEYS = ("stopped_epoch", "best_epoch")
# What must match for bit equality, by the numerics both runs were made with
PORTABLE_ENVIRONMENT = ("torch", "numerics", "pins", "cpu_capability", "threads", "device")
NATIVE_ENVIRONMENT = ("torch", "numerics", "cpu", "cpu_capability", "threads", "device")
# The native path: the reference's seed-to-seed spread on MNIST (paper/regenerated at 2026-12-02,
# seeds 0-2: accuracy within 0.63 pp, predictions within 63 images, low-confidence counts within
# 30, stopping epochs within 7), about 1.5x each range. Accuracy alone cannot tell R from C (R's
# 98.4 % and C's 99.2 % are 0.8 pp apart), so the validation contrastive loss at the restored
# epoch is checked too, as a ratio: its seeds vary by at most 28 % (C: 47.2-60.4; R: 18.4-19.1),
# while C's is 2.5x R's. Accuracy in percentage points, counts in images, epochs; the loss relative.
TOLERANCE = {"accuracy": 1.0, "true_predictions": 100, "false_predictions": 100,
             "true_low_confidence": 60, "stopped_epoch": 10, "best_epoch": 10}
RELATIVE_TOLERANCE = {"val_contrastive": 0.3}


def _run_record(run: Path) -> dict:
    metrics = json.loads((run / layout.METRICS).read_text())
    ev = json.loads(Path(layout.eval_file(run)).read_text())
    numbers = {k: ev[k] for k in TABLE1_KEYS} | {k: metrics[k] for k in METRICS_KEYS}
    numbers["accuracy"] = 100 * numbers["accuracy"]
    best = [row for row in metrics.get("history", []) if row["epoch"] == metrics["best_epoch"]]
    if best:
        numbers["val_contrastive"] = best[0]["val_contrastive"]
    timings = run / layout.TIMINGS
    num = metrics.get("numerics") or {}
    cpu = num.get("cpu") or (json.loads(timings.read_text()).get("cpu") if timings.is_file() else None)
    env = {"torch": metrics["versions"]["torch"], "numerics": num.get("mode"), "pins": num.get("env"),
           "cpu": cpu, "cpu_capability": metrics["versions"].get("cpu_capability"),
           "threads": metrics.get("threads"), "device": metrics["device"]}
    return {"numbers": numbers, "environment": env, "config": metrics.get("config")}


def _beyond(key: str, want: float, have: float) -> bool:
    if key in RELATIVE_TOLERANCE:
        return abs(have - want) > RELATIVE_TOLERANCE[key] * abs(want)
    return abs(have - want) > TOLERANCE[key]


def compare(reference: str | Path, results: str | Path, runs: list[str]) -> dict:
    """Compare each run (a path relative to both roots, e.g. results/mnist/R/paper_cnn/seed0)
    of `results` with the reference. Returns {"exact": bool, "verdict": str, "moved": [(run,
    quantity, reference value, value)], "failures": [...], "checked": n}. A run trained with
    other options than the reference's is a failure whatever its numbers."""
    moved, failures, checked, exact, why, portable = [], [], 0, True, [], True
    for run in runs:
        ref, got = _run_record(Path(reference) / run), _run_record(Path(results) / run)
        if ref["config"] != got["config"]:
            differ = sorted(k for k in (ref["config"] or {}) if (got["config"] or {}).get(k) != ref["config"][k])
            failures.append((run, "config", ", ".join(differ) or "missing", "differs"))
        both_portable = ref["environment"]["numerics"] == got["environment"]["numerics"] == "portable"
        portable &= both_portable
        keys = PORTABLE_ENVIRONMENT if both_portable else NATIVE_ENVIRONMENT
        differs = [k for k in keys if ref["environment"][k] != got["environment"][k]
                   or ref["environment"][k] is None]  # unrecorded: equality cannot be asked for
        if differs:
            exact = False
            why.append(f"{run}: " + ", ".join(
                f"{k} {ref['environment'][k]} -> {got['environment'][k]}" if ref["environment"][k] is not None
                else f"the reference records no {k}" for k in differs))
        for key, want in ref["numbers"].items():
            have = got["numbers"].get(key)
            checked += 1
            if have != want:
                moved.append((run, key, want, have))
    if exact:
        failures += moved
        verdict = ("bit for bit: portable numerics, same torch, pins, threads and device as the reference "
                   "(any CPU model)" if portable else
                   "bit for bit: same torch, CPU model, instruction set, threads and device as the reference")
    else:
        failures += [m for m in moved if m[3] is None or _beyond(m[1], m[2], m[3])]
        tolerances = [f"{k} {v}" for k, v in TOLERANCE.items()] + [
            f"{k} {100 * v:.0f} %" for k, v in RELATIVE_TOLERANCE.items()]
        verdict = ("within tolerance only, because " + "; ".join(why)
                   + f" (tolerances: {', '.join(tolerances)})"
                   + ("; every number is nevertheless equal to the bit" if not moved else ""))
    return {"exact": exact, "verdict": verdict, "moved": moved, "failures": failures,
            "checked": checked}


# ---- making the reference: what of results/ is committed (no models, checkpoints or arrays) ----

FROZEN = layout.frozen([s.key for s in STUDIES.values() if s.frozen])


def freeze(root: str | Path, out: str | Path, commit: str) -> dict:
    """Copy the committed part of a finished run (`root`/results/...) to `out`, keeping its paths
    so that the report's relative links and check-reference's run folders work from `out`, and
    write `out`/SOURCE.json: the commit that produced it and the SHA-256 of the resolved config.
    Refuses a tree whose report is missing: a half-finished run must not look like a reference."""
    import hashlib
    import shutil

    root, out = Path(root), Path(out)
    report = root / layout.REPORT_HTML
    if not report.exists():
        raise SystemExit(f"{report} is missing: run the workflow to the end before freezing it")
    files = sorted({p for pattern in FROZEN for p in root.glob(pattern) if p.is_file()})
    if out.exists():
        shutil.rmtree(out)
    for src in files:
        dst = out / src.relative_to(root)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    config = root / layout.CONFIG
    source = {"commit": commit, "config_sha256": hashlib.sha256(config.read_bytes()).hexdigest(),
              "files": len(files), "bytes": sum(f.stat().st_size for f in files)}
    write_json(out / "SOURCE.json", source, sort_keys=False)  # last: its presence marks a whole copy
    return source
