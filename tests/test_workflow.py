"""The Snakemake workflow: configs valid against the schema, documented, lint-clean, and each
config's DAG builds (dry run) with one training job per (dataset, variant, seed)."""
import copy
import re
import subprocess

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from conftest import ROOT
from wrongnumber.plan.rename import merge_configs
from wrongnumber.plan.studies import STUDIES as REGISTRY

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
# Each config as Snakemake resolves it: the Snakefile's configfile (config.yaml) first, then the
# --configfile files on top. smoke.yaml sets every option itself; quick.yaml only its data.
CONFIGS = {"config.yaml": ("config.yaml",), "smoke.yaml": ("smoke.yaml",),
           "quick.yaml": ("config.yaml", "quick.yaml"), "download.yaml": ("config.yaml", "download.yaml")}


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / name).read_text())


def merged(*names: str) -> dict:
    """Config files merged as Snakemake merges --configfile A B (the workflow's own merge)."""
    return merge_configs([load(n) for n in names])


@pytest.mark.parametrize("name", CONFIGS)
def test_configs_validate_and_set_every_option(name):
    config = merged(*CONFIGS[name])
    filled = copy.deepcopy(config)
    validate(filled, str(SCHEMA))  # fills defaults
    assert filled == config, "every option is written out in the config file"


def test_quick_config_is_the_paper_setup_on_a_stated_fraction_of_mnist():
    full, quick = merged("config.yaml"), merged(*CONFIGS["quick.yaml"])
    assert quick["data"]["mnist"] == full["data"]["mnist"] | {"subset": "train", "subset_fraction": 0.1}
    assert {k: v for k, v in quick.items() if k != "data"} == {k: v for k, v in full.items() if k != "data"}
    assert quick["data"]["fashion"] == full["data"]["fashion"]


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
    config = merged(*CONFIGS[name])
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
    # portable numerics (the default): one thread per job whatever the cores, so jobs run side by side
    assert "--threads 1 --numerics portable --claim-gpus 1 --resume" in out.stdout
    native = snakemake("-n", "-p", "--forceall", "--configfile", "config/config.yaml", "--cores", "8",
                       "--config", "numerics=native", "threads=4")
    assert "--threads 4 --numerics native --claim-gpus 1 --resume" in native.stdout, native.stdout + native.stderr
    assert "--train-dir data/mnist --test-dir data/mnist" in out.stdout  # the vendored official data


@pytest.mark.slow
def test_download_is_an_option():
    out = snakemake("-n", "-p", "--forceall", "--configfile", "config/download.yaml")
    assert out.returncode == 0, out.stdout + out.stderr
    for d in ("mnist", "fashion"):
        assert f"--dataset {d} --out resources/data/{d} --download-root resources/downloads" in out.stdout


# every study of the registry (tests/test_studies.py checks each of their config files)
STUDIES = tuple(f"{k}.yaml" for k in REGISTRY)
SMOKE_STUDIES = tuple(f"{k}-smoke.yaml" for k in REGISTRY)


@pytest.mark.parametrize("names", [("config.yaml", s) for s in STUDIES]
                         + [("config.yaml", "quick.yaml", "extension.yaml", "extension-cpu.yaml")]
                         + [("smoke.yaml", s) for s in SMOKE_STUDIES])
def test_study_configs_validate(names):
    validate(merged(*names), str(SCHEMA))


@pytest.mark.parametrize("change, match", [
    (lambda c: c["xai"].update(methods=["grad_cam", "lime"]), "lime"),
    (lambda c: c["xai"]["variants"].update(bad={"classification_loss": "focal"}), "variant"),
    (lambda c: c["readings"]["drop"].append({"when": {"cam_target": "label"}}), "why"),
    (lambda c: c["extension"]["backbones"].update(vgg16={}), "vgg16"),
])
def test_schema_rejects_bad_study_configs(change, match):
    config = merged("smoke.yaml", *SMOKE_STUDIES)
    change(config)
    with pytest.raises(WorkflowError, match=match):
        validate(config, str(SCHEMA))


@pytest.mark.slow
def test_lint_is_clean_with_every_study():
    out = snakemake("--lint", "--configfile", "config/smoke.yaml", *(f"config/{s}" for s in SMOKE_STUDIES))
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.slow
def test_studies_share_runs_and_train_each_once():
    """The studies' DAG on the quick data: every run once, whatever how many studies ask for it."""
    from wrongnumber.plan.studies import STUDIES
    names = ("quick.yaml", "readings.yaml", "extension.yaml", "extension-cpu.yaml", "xai.yaml")
    out = snakemake("-n", "--forceall", "--configfile", *(f"config/{n}" for n in names))
    assert out.returncode == 0, out.stdout + out.stderr
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out.stdout, re.MULTILINE))
    config = merged("config.yaml", *names)
    keys = {(r["dataset"], r["name"], r.get("backbone", "paper_cnn"), r["seed"])
            for s in STUDIES.values() for r in s.runs(config)}  # none of a study not loaded
    keys |= {(d, v, "paper_cnn", 0) for d in ("mnist", "fashion") for v in ("C", "R")}  # the tables'
    assert int(counts["train"]) == int(counts["evaluate"]) == len(keys)
    assert int(counts["xai_scores"]) == len(STUDIES["xai"].runs(config)) == 18
    for rule in (*(k for k in STUDIES if config.get(k)), "report"):
        assert int(counts[rule]) == 1, rule


@pytest.mark.slow
def test_a_run_name_becomes_explicit_training_flags():
    target = "results/fashion/R+contrastive_weight=0.1+subset=pooled/paper_cnn/seed3/metrics.json"
    out = snakemake(target, "-n", "-p", "--forceall", "--configfile", "config/smoke.yaml")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "--contrastive-weight 0.1 " in out.stdout and "--subset pooled " in out.stdout
    assert "--variant R " in out.stdout and "--seed 3 " in out.stdout
    bad = snakemake("results/mnist/R+margin=10+cam_target=label/paper_cnn/seed0/metrics.json",
                    "-n", "--configfile", "config/smoke.yaml")
    assert bad.returncode != 0 and "write it as 'R+cam_target=label+margin=10'" in bad.stdout + bad.stderr
