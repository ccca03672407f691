"""Each study from its input files to its output files: what the CLI's study commands call.

A study's plan, analysis and artifacts modules (plan/studies.py) take typed settings and loaded
values; this module reads the resolved config, the finished runs and the paper's numbers, runs
the analysis, has the artifacts written and hands back the paths.
"""
from __future__ import annotations

import json
from pathlib import Path

from .analysis import claims, evidence
from .analysis.provenance import load_runs
from .artifacts.tables import load_reported
from .core.restop import evaluate_epochs
from .plan import layout
from .plan.runspec import bases
from .plan.studies import STUDIES


def study_config(path: str | Path, key: str) -> tuple[dict, object]:
    """(the resolved workflow config (JSON) at `path`, the study's typed settings from it)."""
    config = json.loads(Path(path).read_text())
    if not config.get(key):
        raise ValueError(f"{path}: the resolved config has no `{key}` section; run the workflow with "
                         f"--configfile <data config> config/{key}.yaml")
    return config, STUDIES[key].settings(config)


def run_readings(config: str, run_dirs: list, eval_dirs: list, reported: str, claims_file: str,
                 out_dir: str) -> list[Path]:
    cfg, study = study_config(config, "readings")
    runs = load_runs(run_dirs, eval_dirs, unique=False)
    s = STUDIES["readings"]
    result = s.analysis.score(study, bases(cfg), runs, load_reported(reported)["numbers"],
                              claims=claims.load(claims_file)["claims"],
                              seed_results={r.run_dir: evidence.seed_result(r) for r in runs})
    return s.artifacts.write(result, out_dir)


def run_extension(config: str, run_dirs: list, eval_dirs: list, out_dir: str) -> list[Path]:
    cfg, study = study_config(config, "extension")
    runs = load_runs(run_dirs, eval_dirs, unique=False)
    s = STUDIES["extension"]
    return s.artifacts.write(s.analysis.summarise(study, bases(cfg), runs), runs, out_dir)


def run_xai(config: str, score_dirs: list, out_dir: str) -> list[Path]:
    cfg, study = study_config(config, "xai")
    s = STUDIES["xai"]
    return s.artifacts.write(s.analysis.summarise(study, bases(cfg), score_dirs), out_dir)


def run_stopping(config: str, run_dirs: list, reported: str, low_confidence: float, device,
                 out_dir: str) -> list[Path]:
    """Replay every rule on every planned run's history, evaluate the epochs the rules keep,
    score each (reading, rule)."""
    cfg, study = study_config(config, "stopping")
    s = STUDIES["stopping"]
    planned = s.plan.expand(study, bases(cfg))
    if len(planned) != len(run_dirs):
        raise ValueError(f"--runs: {len(run_dirs)} folders for the {len(planned)} runs the study plans")
    paths = {(r["name"], r["seed"]): Path(p) for r, p in zip(planned, run_dirs)}
    histories = {key: json.loads((path / layout.METRICS).read_text())["history"]
                 for key, path in paths.items()}
    decisions = s.analysis.decide(study, histories, cfg["train"]["max_epochs"])
    evals = {}
    for key, path in paths.items():
        epochs = {d["best_epoch"] for (k, _), d in decisions.items() if k == key and d["decided"]}
        for epoch, summary in evaluate_epochs(path, epochs, device, low_confidence).items():
            evals[key, epoch] = summary
    result = s.analysis.score(study, planned, decisions, evals, load_reported(reported)["numbers"])
    result["default"] = {"reading": "R", "rule_label": s.plan.rule_label(cfg["train"])}  # the config's own
    return s.artifacts.write(result, out_dir)
