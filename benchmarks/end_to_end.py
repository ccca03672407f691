"""The whole paper config timed end to end: `snakemake --cores all` from a clean results/.

    python benchmarks/end_to_end.py --workdir /tmp/e2e            # a fresh clone of this repo there
    python benchmarks/end_to_end.py --workdir /tmp/e2e -- --config 'seeds=[0]' threads=1

It clones the repository's committed state into --workdir (so nothing of this tree's results/
is reused), runs Snakemake there with the arguments after `--` (default: the paper config, one
seed), and splits the wall time by what the jobs did, from Snakemake's own per-job benchmark
files (results/benchmarks/**.tsv, wall seconds of every job) and the runs' timings.json:

  training     the train jobs; inside them the epochs (timings.json) and the rest (start-up,
               data loading, writing the run folder)
  evaluation   the evaluate jobs
  artifacts    tables, figures, complexity, report and the small bookkeeping rules
  start-up     per job: a Python process that imports torch and wrongnumber before any work
               (measured here by timing `wrongnumber --help`, which imports them and exits)

With --cores 2 two jobs run at once, so job seconds add up to more than the wall time.
Writes --out (JSON) and the same name with .md.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARGS = ["--cores", "all", "--config", "seeds=[0]"]
GROUPS = {"train": "training", "evaluate": "evaluation"}  # any other rule: artifacts


def startup_seconds(cwd: Path, repeats: int = 5) -> float:
    """Median wall seconds of a process that imports torch and the package, then exits."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(["wrongnumber", "--help"], cwd=cwd, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def job_seconds(results: Path) -> list[dict]:
    """Every job's wall seconds from Snakemake's benchmark files: [{"rule", "job", "s"}]."""
    out = []
    for tsv in sorted((results / "benchmarks").rglob("*.tsv")):
        rule = tsv.parent.name if tsv.parent.name != "benchmarks" else tsv.stem
        with tsv.open() as f:
            row = next(csv.DictReader(f, delimiter="\t"))
        out.append({"rule": rule, "job": tsv.stem, "s": float(row["s"])})
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", required=True, help="empty folder for the clone and its results")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "end_to_end.json"))
    p.add_argument("snakemake_args", nargs="*", help="after --: arguments for snakemake")
    args = p.parse_args(argv)
    work = Path(args.workdir)
    if work.exists() and any(work.iterdir()):
        sys.exit(f"--workdir {work} is not empty: give a new folder (the run must start clean)")
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(work)], check=True)
    env = dict(os.environ, PYTHONPATH=str(work / "src"))  # the clone's package, not this tree's
    snake = args.snakemake_args or DEFAULT_ARGS
    t0 = time.perf_counter()
    run = subprocess.run(["snakemake", *snake], cwd=work, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if run.returncode:
        sys.stderr.write(run.stdout[-3000:] + run.stderr[-3000:])
        return run.returncode
    jobs = job_seconds(work / "results")
    startup = startup_seconds(work)
    epochs = {}
    for t in sorted((work / "results").rglob("timings.json")):
        timing = json.loads(t.read_text())
        if "epoch_seconds" in timing:
            epochs[str(t.parent.relative_to(work))] = {
                "epochs": len(timing["epoch_seconds"]), "epoch_seconds": sum(timing["epoch_seconds"]),
                "phases": {k: sum(p[k] for p in timing["epoch_phases"]) for k in timing["epoch_phases"][0]}}
    parts: dict = {}
    for j in jobs:
        part = GROUPS.get(j["rule"], "artifacts")
        parts.setdefault(part, {"jobs": 0, "job_seconds": 0.0})
        parts[part]["jobs"] += 1
        parts[part]["job_seconds"] += j["s"]
    record = {"snakemake_args": snake, "wall_seconds": wall, "n_jobs": len(jobs),
              "startup_seconds_per_job": startup, "startup_seconds_total": startup * len(jobs),
              "parts": parts, "runs": epochs, "jobs": jobs,
              "commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, capture_output=True,
                                       text=True).stdout.strip(),
              "cpu_count": os.cpu_count(), "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    lines = [f"End to end: `snakemake {' '.join(snake)}` from a clean clone ({record['commit'][:10]}), "
             f"{os.cpu_count()} CPUs: **{wall / 60:.1f} min** wall, {len(jobs)} jobs.", "",
             "| part | jobs | job seconds (summed) |", "|---|---:|---:|"]
    for name, part in sorted(parts.items()):
        lines.append(f"| {name} | {part['jobs']} | {part['job_seconds']:.0f} |")
    lines += ["", f"Start-up per job (a process importing torch and wrongnumber): {startup:.1f} s, "
              f"{startup * len(jobs):.0f} s over all jobs.", "",
              "| run | epochs | epoch seconds | train / validate / probes s |", "|---|---:|---:|---|"]
    for name, r in epochs.items():
        ph = r["phases"]
        lines.append(f"| {name} | {r['epochs']} | {r['epoch_seconds']:.0f} | "
                     f"{ph['train']:.0f} / {ph['validate']:.0f} / {ph['probes']:.1f} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
