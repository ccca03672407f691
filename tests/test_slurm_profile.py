"""The SLURM profile: only train and evaluate are submitted, each asking for what SLURM needs
(GPU, CPUs, memory, time); the GPU request follows `gpus_per_job`. Dry runs: no cluster needed."""
import re
import subprocess

import pytest

from conftest import ROOT

RULES = ROOT / "workflow" / "rules"


def test_only_the_compute_rules_leave_the_machine():
    """train, evaluate and the explanation study's per-run scoring go to SLURM; the rest is local."""
    text = "\n".join(p.read_text() for p in sorted(RULES.glob("*.smk")))
    rules = set(re.findall(r"^rule (\w+):", text, re.MULTILINE))
    local = set(re.findall(r"^    (\w+),$", text.split("localrules:")[1].split("\n\n")[0], re.MULTILINE))
    assert local <= rules and rules - local == {"train", "evaluate", "xai_scores"}


def dry_run(*args: str) -> str:
    # --cores: a dry run caps threads at the local cores (1 unless given); submitted jobs are not
    out = subprocess.run(["snakemake", "--nolock", "-n", "-p", "--forceall", "--cores", "8", "--profile",
                          "workflow/profiles/slurm", *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


@pytest.mark.slow
def test_profile_jobs_ask_for_gpu_cpus_memory_and_time():
    out = dry_run("--configfile", "config/config.yaml")
    for rule, mem, minutes in (("train", 8000, 720), ("evaluate", 4000, 60)):
        blocks = [b for b in re.split(r"\n(?=(?:local)?rule \w+:)", out) if b.startswith(f"rule {rule}:")]
        assert len(blocks) == 4
        for block in blocks:
            # portable numerics: one thread per job (Snakemake prints no `threads:` line for 1)
            assert "threads:" not in block, block
            res = re.search(r"resources: ([^\n]*)", block).group(1)
            assert "gpu=1" in res, res
            assert f"mem_mb={mem}," in res and f"runtime={minutes}" in res, res
    assert "--claim-gpus 1" in out


@pytest.mark.slow
def test_gpu_request_is_switched_off_by_gpus_per_job():
    out = dry_run("--configfile", "config/config.yaml", "--config", "gpus_per_job=0")
    assert "gpu=1" not in out and "--claim-gpus 0" in out
