"""The studies beyond the paper's tables, each declared once.

A study is switched on by its config section (config/<key>.yaml) and lives in three modules of
one name, one per layer: `plan.<key>` (torch-free, imported here and by the Snakefile at parse
time) declares its typed `Settings` and plans its runs (`expand`); `analysis.<key>` computes its
numbers from the finished runs; `artifacts.<key>` writes its tables and figures and, for the
studies the report shows, turns results/<key>/<key>.json into a report section
(`report_section`). study_io.py joins them for the CLI; the Snakefile and the report iterate
over STUDIES. Adding a study is one entry here plus its three modules, its rule
(workflow/rules/studies.smk), config, schema section and template.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from . import extension, layout, readings, settings, stopping, xai
from .runspec import bases


@dataclass(frozen=True)
class Study:
    key: str              # config section, results/<key>/ folder, rule and CLI command
    plan: ModuleType      # Settings, expand(settings, bases) -> runs
    in_report: bool       # results/<key>/<key>.json becomes a section of the report
    frozen: bool = False  # freeze-reference commits its folder results/<key>/ (layout.frozen)

    @property
    def result(self) -> str:
        return layout.study_result(self.key)

    @property
    def analysis(self) -> ModuleType:
        """analysis.<key>: imported when used, so that planning stays torch-free."""
        return importlib.import_module(f"wrongnumber.analysis.{self.key}")

    @property
    def artifacts(self) -> ModuleType:
        """artifacts.<key>: its tables, figures and report_section(result)."""
        return importlib.import_module(f"wrongnumber.artifacts.{self.key}")

    def settings(self, config: dict):
        """The study's typed settings from the workflow `config` (which must hold its section)."""
        return settings.of(self.plan.Settings, config[self.key])

    def runs(self, config: dict) -> list[dict]:
        """The runs the study asks for under the workflow `config` (none when it is not loaded)."""
        return self.plan.expand(self.settings(config), bases(config)) if config.get(self.key) else []


STUDIES = {s.key: s for s in (Study("readings", readings, True, frozen=True),
                              Study("extension", extension, True),
                              Study("xai", xai, True), Study("stopping", stopping, True, frozen=True))}
REPORTED = [s.key for s in STUDIES.values() if s.in_report]
