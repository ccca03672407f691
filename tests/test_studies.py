"""Every study of the registry (plan/studies.py), whatever it is: its configs validate against the
schema, it plans runs and files, the CLI has its command, Snakemake dry-runs it at smoke size with
one job, and its report section renders. A new study's registry line brings it under these tests;
its own test file (tests/test_<key>.py) gives an `example_result(tmp_path)`: its <key>.json."""
import importlib
import inspect
import json
import re
import subprocess
from pathlib import Path

import jinja2
import pytest
from snakemake.utils import validate

from conftest import ROOT
from wrongnumber import cli
from wrongnumber.artifacts import report
from wrongnumber.plan import layout
from wrongnumber.plan.rename import load_config
from wrongnumber.plan.studies import REPORTED, STUDIES

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def resolved(*names: str) -> dict:
    """Config files merged as Snakemake merges --configfile A B, then validated (defaults filled)."""
    out = load_config([ROOT / "config" / n for n in names])
    validate(out, str(SCHEMA))
    return out


@pytest.mark.parametrize("key", STUDIES)
def test_every_config_of_a_study_validates_and_plans(key):
    """config/<key>*.yaml, each on the config it is meant for: the paper's (the full study, and
    any variant of it such as extension-cpu.yaml on quick.yaml) and smoke.yaml (<key>-smoke.yaml)."""
    study = STUDIES[key]
    names = sorted(p.name for p in (ROOT / "config").iterdir() if re.fullmatch(rf"{key}(-[\w-]+)?\.yaml", p.name))
    assert f"{key}.yaml" in names and f"{key}-smoke.yaml" in names
    for name in names:
        base = (("smoke.yaml",) if name.endswith("-smoke.yaml") else
                ("config.yaml",) if name == f"{key}.yaml" else ("config.yaml", "quick.yaml", f"{key}.yaml"))
        config = resolved(*base, name)
        runs = study.runs(config)
        assert runs and all({"dataset", "name", "seed"} <= set(r) for r in runs), name
        outputs = study.outputs(config)
        assert outputs[0] == layout.study_result(key) and len(set(outputs)) == len(outputs)
        assert all(o.startswith(layout.study_dir(key) + "/") for o in outputs)
    assert study.runs(resolved("smoke.yaml")) == []  # not loaded: no runs


@pytest.mark.parametrize("key", STUDIES)
def test_every_study_has_its_command_and_files(key):
    study = STUDIES[key]
    required = [x for f in study.flags if f not in ("device", "low_confidence", "claims")
                for x in (f"--{f.replace('_', '-')}", "x")]
    args = cli.build_parser().parse_args([key, *required])
    assert args.func is cli.cmd_study and args.command == key
    # from_files takes the settings, the config, the output folder and every other flag, by name
    params = list(inspect.signature(study.artifacts.from_files).parameters)
    assert params[:3] == ["study", "config", "out_dir"]
    assert set(params[3:]) == set(study.flags) - {"config", "out_dir"}
    for template in study.templates if study.in_report else []:
        assert (ROOT / "paper" / template).is_file()
    assert (ROOT / "tests" / f"test_{key}.py").is_file()


@pytest.mark.parametrize("key", REPORTED)
def test_every_report_section_renders(key, tmp_path):
    """The study's example <key>.json through report.study_sections and both of its templates,
    in the report's own loop over the registered sections."""
    example = importlib.import_module(f"test_{key}").example_result(tmp_path)
    path = tmp_path / layout.study_result_name(key)
    path.write_text(json.dumps(example))
    sections = report.study_sections([path], tmp_path / "report")
    assert list(sections) == [key]
    for ext, autoescape in (("md", False), ("html", True)):
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "paper"), autoescape=autoescape,
                                 undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        loop = re.search(r"{% for key in studies %}.*?{% endfor %}", (ROOT / "paper" / f"report.{ext}.j2").read_text())
        text = env.from_string(loop.group(0)).render(studies=sections)
        assert len(text) > 200 and "None" not in text, (key, ext)


@pytest.mark.slow
def test_every_study_dry_runs_at_smoke_size():
    """One dry run with every study's smoke config: one job per study, every planned run trained
    once (shared runs too), and the report reads every reported study's result."""
    names = ["config/smoke.yaml", *(f"config/{k}-smoke.yaml" for k in STUDIES)]
    out = subprocess.run(["snakemake", "-n", "--forceall", "--nolock", "--configfile", *names], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out.stdout, re.MULTILINE))
    config = resolved(*(Path(n).name for n in names))
    runs = {layout.run_dir(r["dataset"], r["name"], r.get("backbone", config["backbone"]), r["seed"])
            for s in STUDIES.values() for r in s.runs(config)}
    runs |= {layout.run_dir(d, v, config["backbone"], s) for d in ("mnist", "fashion")
             for v in config["variants"] for s in config["seeds"]}
    assert int(counts["train"]) == len(runs)
    for key in STUDIES:
        assert int(counts[key]) == 1, key
    report_job = out.stdout[out.stdout.index("rule report:"):]
    assert all(STUDIES[k].result in report_job.split("output:")[0] for k in REPORTED)


def test_study_rules_run_their_own_command():
    """Snakemake evaluates a rule's shell expression again when the job runs, so in the loop
    that makes one rule per study an expression of the loop variable would run the last study's
    command for every study (a dry run prints the right one). The shell text must be a literal,
    the study bound in params."""
    text = (ROOT / "workflow" / "rules" / "studies.smk").read_text()
    loop = text[text.index("for study in STUDIES.values():"):]
    shell = re.search(r"\n        shell:\n((?:\s*#.*\n)*)\s*(.+)\n", loop).group(2)
    assert re.fullmatch(r'"[^"]*"', shell.strip()), f"studies.smk's study rule runs {shell!r}, not a literal"
    assert "{params.key}" in shell and "{params.args}" in shell
