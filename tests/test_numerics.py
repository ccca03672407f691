"""Portable numerics: the pins are set before torch loads, undone for native, recorded with
every run, and the fingerprint of a few training steps equals the committed one (the test a new
CPU model can fail: docs/numerics.md)."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from wrongnumber.plan import numerics

FINGERPRINT = ROOT / "paper" / "fingerprint.json"


def test_portable_pins_and_native_undoes_only_what_we_set():
    env = {"MKL_CBWR": "AVX2", "ONEDNN_VERBOSE": "1"}  # a conflicting pin and an unrelated variable
    numerics.apply("portable", env)
    assert {k: env[k] for k in numerics.PORTABLE_ENV} == numerics.PORTABLE_ENV
    assert env[numerics.APPLIED] == "portable"
    numerics.apply("native", env)
    assert not set(numerics.PORTABLE_ENV) & set(env) and env["ONEDNN_VERBOSE"] == "1"
    mine = {"ATEN_CPU_CAPABILITY": "avx2"}  # the user's own export stays under native
    numerics.apply("native", mine)
    assert mine["ATEN_CPU_CAPABILITY"] == "avx2"
    with pytest.raises(numerics.NumericsError, match="portable, native"):
        numerics.apply("fast", {})


def test_portable_jobs_run_one_thread_and_refuse_another():
    assert numerics.job_threads("portable", 4) == 1 and numerics.job_threads("native", 4) == 4
    from wrongnumber.cli import main
    assert main(["fingerprint", "--threads", "2", "--steps", "1"]) == 2


def run_fingerprint(*args, env=None):
    return subprocess.run([sys.executable, "-m", "wrongnumber.cli", "fingerprint", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_fingerprint_matches_the_committed_one():
    """50 steps of C and R from seed 0 under portable numerics, hashed. On a mismatch the
    command prints the CPU model, the ISA, MKL's branch, the threads and both hashes."""
    out = run_fingerprint("--check", str(FINGERPRINT), env={numerics.ENV: "portable"})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    result = json.loads(out.stdout[:out.stdout.rindex("}") + 1])
    assert result["numerics"]["mode"] == "portable" and result["numerics"]["threads"] == 1
    assert result["numerics"]["cpu_capability"] == "AVX2"


def test_native_is_reexecuted_and_fails_the_portable_fingerprint_with_a_diagnosis():
    """--numerics native re-executes the command without the pins: other bits (AVX-512 where
    the CPU has it, else another thread count), and the mismatch names what decides them."""
    out = run_fingerprint("--numerics", "native", "--threads", "2", "--steps", "5", "--check", str(FINGERPRINT))
    assert out.returncode == 1, out.stderr[-2000:]
    result = json.loads(out.stdout[:out.stdout.rindex("}") + 1])
    assert result["numerics"]["mode"] == "native" and result["numerics"]["env"]["MKL_CBWR"] is None
    for word in ("CPU model:", "torch's CPU capability:", "MKL branch (MKL_CBWR): None", "threads: 2",
                 "none for native numerics on cpu"):
        assert word in out.stderr


def test_a_run_records_its_numerics(trained_runs):
    folder, metrics = trained_runs["R"]
    assert json.loads((folder / "metrics.json").read_text())["numerics"] == metrics["numerics"]
    n = metrics["numerics"]
    assert n["mode"] == "portable" and n["threads"] == metrics["threads"] == 1
    assert n["env"]["MKL_CBWR"] == "COMPATIBLE" and n["cpu_capability"] == "AVX2" and n["cpu"]
