"""The studies beyond the paper's tables, each declared once: its line in STUDIES.

A study is switched on by its config section (config/<key>.yaml) and lives in three modules of
one name, one per layer, each imported by its name when used: `plan.<key>` (torch-free: the
Snakefile asks it at parse time) declares its typed `Settings`, plans its runs (`expand`) and names the files it writes
(`outputs`); `analysis.<key>` computes its numbers from the finished runs; `artifacts.<key>`
reads its inputs (`from_files`), writes its tables and figures and turns
results/<key>/<key>.json into a report section (`report_section`, rendered by
paper/section_<key>.{md,html}.j2).

Everything else iterates STUDIES: the Snakefile's rule per study (workflow/rules/studies.smk),
the CLI's command per study (`wrongnumber <key>`, cli.py and study_io.py), the report's sections
and the frozen reference (layout.frozen), and the tests. Adding a study is its three modules, its
config files (config/<key>.yaml, config/<key>-smoke.yaml), its section templates, its tests
(tests/test_<key>.py with an `example_result`), its schema section and row in config/README.md,
and a line here.
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from . import layout, settings
from .runspec import bases

EVAL, PREDICTIONS = f"{layout.EVAL_DIR}/{layout.EVAL}", f"{layout.EVAL_DIR}/{layout.PREDICTIONS}"
XAI_META = f"{layout.XAI_DIR}/{layout.XAI_META}"
# The inputs a study command can take, in the order the workflow passes them (`wrongnumber <key>
# --<flag>`; cli.STUDY_FLAGS says what each is): the resolved config, the paper's numbers and
# claims, the run folders and their eval/ and xai/ folders, the evaluation's threshold, a device
FLAGS = ("config", "reported", "claims", "runs", "evals", "scores", "low_confidence", "device", "out_dir")


@dataclass(frozen=True)
class Study:
    key: str              # config section, results/<key>/ folder, rule and CLI command; its modules' name
    help: str             # the CLI command's one line
    flags: tuple          # what its command reads (from FLAGS; `artifacts.<key>.from_files`' arguments)
    reads: tuple          # the files of each of its runs it reads (relative to the run folder)
    in_report: bool = True  # results/<key>/<key>.json becomes a section of the report
    frozen: bool = False  # freeze-reference commits its folder results/<key>/ (layout.frozen)

    def __post_init__(self):
        if unknown := set(self.flags) - set(FLAGS):
            raise ValueError(f"study {self.key}: unknown flags {sorted(unknown)}; known: {FLAGS}")

    @property
    def plan(self) -> ModuleType:
        """plan.<key> (torch-free): Settings, expand(settings, bases) -> runs, outputs(settings) -> file names."""
        return importlib.import_module(f"wrongnumber.plan.{self.key}")

    @property
    def result(self) -> str:
        return layout.study_result(self.key)

    @property
    def templates(self) -> list[str]:
        """Its report section's templates (in paper/), Markdown and HTML."""
        return [f"section_{self.key}.{ext}.j2" for ext in ("md", "html")]

    @property
    def analysis(self) -> ModuleType:
        """analysis.<key>: imported when used, so that planning stays torch-free."""
        return importlib.import_module(f"wrongnumber.analysis.{self.key}")

    @property
    def artifacts(self) -> ModuleType:
        """artifacts.<key>: from_files(...), its tables, figures and report_section(result)."""
        return importlib.import_module(f"wrongnumber.artifacts.{self.key}")

    def settings(self, config: dict):
        """The study's typed settings from the workflow `config` (which must hold its section)."""
        return settings.of(self.plan.Settings, config[self.key])

    def runs(self, config: dict) -> list[dict]:
        """The runs the study asks for under the workflow `config` (none when it is not loaded)."""
        return self.plan.expand(self.settings(config), bases(config)) if config.get(self.key) else []

    def outputs(self, config: dict) -> list[str]:
        """What its job writes: results/<key>/<key>.json, then its tables and figures (those only
        when the `config` loads it)."""
        files = self.plan.outputs(self.settings(config)) if config.get(self.key) else []
        return [self.result] + [f"{layout.study_dir(self.key)}/{f}" for f in files]

    def resolved(self, path: str | Path) -> tuple[dict, object]:
        """(the resolved workflow config (JSON) at `path`, the study's typed settings from it)."""
        config = json.loads(Path(path).read_text())
        if not config.get(self.key):
            raise ValueError(f"{path}: the resolved config has no `{self.key}` section; run the workflow "
                             f"with --configfile <data config> config/{self.key}.yaml")
        return config, self.settings(config)


STUDIES = {s.key: s for s in (
    Study("readings", "rank the readings of the paper's open choices by distance to its numbers",
          ("config", "reported", "claims", "runs", "evals", "out_dir"),
          (layout.METRICS, layout.PROBES, EVAL, PREDICTIONS), frozen=True),
    Study("extension", "the six-seed backbone study: summaries, paired tests, plots",
          ("config", "runs", "evals", "out_dir"), (layout.METRICS, EVAL, PREDICTIONS, layout.PROBES), frozen=True),
    Study("xai", "the CAM-method study: method x metric tables, Krippendorff's alpha, answers",
          ("config", "scores", "out_dir"), (XAI_META, EVAL), frozen=True),
    Study("stopping", "replay every early-stopping rule on the study's long runs and score each "
          "(reading, rule) against the paper", ("config", "reported", "runs", "low_confidence", "device", "out_dir"),
          (layout.METRICS,), frozen=True),
)}
REPORTED = [s.key for s in STUDIES.values() if s.in_report]
