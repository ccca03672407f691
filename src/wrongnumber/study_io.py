"""Each study from its input files to its output files: what the CLI's study commands call.

The study modules plan runs and compute from loaded values; this module does the reading of the
resolved config, the finished runs and the paper's numbers, and hands back the paths written.
"""
from __future__ import annotations

import json
from pathlib import Path

from .analysis import claims, evidence, extension, readings, stopping, xai
from .core.atomic import write_json
from .analysis.provenance import load_runs
from .core.restop import evaluate_epochs
from .plan.runspec import bases
from .artifacts.table_files import write_tables
from .artifacts.tables import load_reported


def study_config(path: str | Path, key: str) -> dict:
    """The resolved workflow config (JSON) at `path`, which must hold the study's section."""
    config = json.loads(Path(path).read_text())
    if not config.get(key):
        raise ValueError(f"{path}: the resolved config has no `{key}` section; run the workflow with "
                         f"--configfile <data config> config/{key}.yaml")
    return config


def run_readings(config: str, run_dirs: list, eval_dirs: list, reported: str, claims_file: str,
                 out_dir: str) -> list[Path]:
    cfg = study_config(config, "readings")
    runs = load_runs(run_dirs, eval_dirs, unique=False)
    result = readings.score(cfg["readings"], bases(cfg), runs, load_reported(reported)["numbers"],
                            claims=claims.load(claims_file)["claims"],
                            seed_results={r.run_dir: evidence.seed_result(r) for r in runs})
    return readings.write(result, out_dir)


def run_extension(config: str, run_dirs: list, eval_dirs: list, out_dir: str) -> list[Path]:
    cfg = study_config(config, "extension")
    runs = load_runs(run_dirs, eval_dirs, unique=False)
    return extension.write(extension.summarise(cfg["extension"], bases(cfg), runs), runs, out_dir)


def run_xai(config: str, score_dirs: list, out_dir: str) -> list[Path]:
    cfg = study_config(config, "xai")
    return xai.write(xai.summarise(cfg["xai"], bases(cfg), score_dirs), out_dir)


def run_stopping(config: str, run_dirs: list, reported: str, low_confidence: float, device,
                 out_dir: str) -> list[Path]:
    """Replay every rule on every planned run's history, evaluate the epochs the rules keep,
    score each (reading, rule)."""
    cfg = study_config(config, "stopping")
    study = cfg["stopping"]
    planned = stopping.expand(study, bases(cfg))
    if len(planned) != len(run_dirs):
        raise ValueError(f"--runs: {len(run_dirs)} folders for the {len(planned)} runs the study plans")
    paths = {(r["name"], r["seed"]): Path(p) for r, p in zip(planned, run_dirs)}
    histories = {key: json.loads((path / "metrics.json").read_text())["history"]
                 for key, path in paths.items()}
    decisions = stopping.decide(study, histories, cfg["train"]["max_epochs"])
    evals = {}
    for key, path in paths.items():
        epochs = {d["best_epoch"] for (k, _), d in decisions.items() if k == key and d["decided"]}
        for epoch, summary in evaluate_epochs(path, epochs, device, low_confidence).items():
            evals[key, epoch] = summary
    result = stopping.score(study, planned, decisions, evals, load_reported(reported)["numbers"])
    result["default"] = {"reading": "R", "rule_label": stopping.rule_label(cfg["train"])}  # the config's own
    out = Path(out_dir)
    written = write_tables({"ranking": {"title": "Channel-weight readings x early-stopping rules, ranked "
                                        "against the paper's Table 1 and stopping epochs",
                                        "rows": stopping.table_rows(result)}}, out)
    write_json(out / "stopping.json", result)
    return written + [out / "stopping.json"]
