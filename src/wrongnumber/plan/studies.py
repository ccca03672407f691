"""The studies beyond the paper's tables, each declared once.

A study is switched on by its config section (config/<key>.yaml); its module plans the runs to
train (`expand`, torch-free: the Snakefile imports this registry at parse time) and, for the
studies the report shows, turns results/<key>/<key>.json into a report section
(`report_section`). The Snakefile and the report iterate over STUDIES; adding a study is one
entry here plus its own module, rule (workflow/rules/studies.smk), config and template.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from ..analysis import extension, readings, stopping, xai
from .runspec import bases


@dataclass(frozen=True)
class Study:
    key: str              # config section, results/<key>/ folder, rule and CLI command
    module: ModuleType    # expand(section, bases) -> runs; report_section(result) if in_report
    in_report: bool       # results/<key>/<key>.json becomes a section of the report

    @property
    def result(self) -> str:
        return f"results/{self.key}/{self.key}.json"

    def runs(self, config: dict) -> list[dict]:
        """The runs the study asks for under the workflow `config` (none when it is not loaded)."""
        return self.module.expand(config[self.key], bases(config)) if config.get(self.key) else []


STUDIES = {s.key: s for s in (Study("readings", readings, True), Study("extension", extension, True),
                              Study("xai", xai, True), Study("stopping", stopping, True))}
REPORTED = [s.key for s in STUDIES.values() if s.in_report]
