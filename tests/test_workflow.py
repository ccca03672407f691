"""The Snakemake workflow: configs valid against the schema, documented, lint-clean, and each
config's DAG builds (dry run) with one training job per (dataset, variant, seed)."""
import copy
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

ROOT = Path(__file__).parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
CONFIGS = ("config.yaml", "smoke.yaml", "offline.yaml")


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / name).read_text())


@pytest.mark.parametrize("name", CONFIGS)
def test_configs_validate_and_set_every_option(name):
    config = load(name)
    filled = copy.deepcopy(config)
    validate(filled, str(SCHEMA))  # fills defaults
    assert filled == config, "every option is written out in the config file"


@pytest.mark.parametrize("change, match", [
    (lambda c: c.update(variants=["R"]), "variants"),
    (lambda c: c["train"].update(lr=0), "lr"),
    (lambda c: c["train"].update(cam_target="input"), "cam_target"),
    (lambda c: c["data"]["mnist"].update(download=True), "mnist"),   # download and folders
    (lambda c: c["data"].pop("fashion"), "fashion"),
    (lambda c: c.update(lr=0.1), "lr"),                               # unknown top-level key
])
def test_schema_rejects_bad_configs(change, match):
    config = load("smoke.yaml")
    change(config)
    with pytest.raises(WorkflowError, match=match):
        validate(config, str(SCHEMA))


def test_config_readme_documents_every_option():
    schema = yaml.safe_load(SCHEMA.read_text())
    readme = (ROOT / "config" / "README.md").read_text()
    names = set(schema["properties"]) | set(schema["properties"]["train"]["properties"]) \
        | set(schema["properties"]["evaluate"]["properties"]) | set(schema["$defs"]["dataset"]["properties"])
    missing = [n for n in sorted(names) if f"`{n}`" not in readme]
    assert not missing, f"config/README.md does not document {missing}"
    reported = yaml.safe_load((ROOT / "paper" / "reported.yaml").read_text())
    for a in reported["ambiguities"]:  # each reading of what the paper leaves open
        assert f"`{a['option']}`" in readme, a["option"]


def snakemake(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["snakemake", "--nolock", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_lint_is_clean():
    out = snakemake("--lint", "--configfile", "config/smoke.yaml")
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", CONFIGS)
def test_dry_run_one_training_job_per_dataset_variant_seed(name):
    out = snakemake("-n", "--forceall", "--configfile", f"config/{name}")
    assert out.returncode == 0, out.stdout + out.stderr
    config = load(name)
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out.stdout, re.MULTILINE))
    runs = 2 * len(config["variants"]) * len(config["seeds"])
    assert int(counts["train"]) == int(counts["evaluate"]) == runs
    assert int(counts["assemble_data"]) == 2 and int(counts["report"]) == 1


@pytest.mark.slow
def test_train_rule_declares_threads_and_gpu():
    out = snakemake("-n", "-p", "--forceall", "--configfile", "config/config.yaml", "--cores", "8")
    assert out.returncode == 0, out.stdout + out.stderr
    train_jobs = re.findall(r"rule train:.*?resources: ([^\n]*)", out.stdout, re.DOTALL)
    assert train_jobs and all("gpu=1" in r for r in train_jobs)
    assert "--threads 4 --claim-gpus 1 --resume" in out.stdout and "--download-root resources/downloads" in out.stdout
