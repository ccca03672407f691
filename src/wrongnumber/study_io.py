"""Each study from its input files to its output files: what the CLI's study commands call.

A study's `artifacts.<key>.from_files` (plan/studies.py) reads its inputs, runs its analysis and
writes its tables and figures; this module gives it the study's typed settings from the resolved
config and writes results/<key>/<key>.json (what the report's section is made from) last, so its
presence marks a finished study.
"""
from __future__ import annotations

from pathlib import Path

from .core.atomic import write_json
from .plan import layout
from .plan.studies import STUDIES


def run(key: str, config: str | Path, out_dir: str | Path, **inputs) -> list[Path]:
    """`wrongnumber <key>`: the paths written, <key>.json last; `inputs` are the study's other
    flags (Study.flags), e.g. runs, evals, reported."""
    study = STUDIES[key]
    cfg, settings = study.resolved(config)
    out = Path(out_dir)
    result, paths = study.artifacts.from_files(settings, cfg, out, **inputs)
    path = out / layout.study_result_name(key)
    write_json(path, result)
    return paths + [path]
