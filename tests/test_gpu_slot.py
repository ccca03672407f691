"""GPU placement: concurrent claims get different devices, a dead holder frees its device,
no GPU means nothing happens. No GPU is needed: devices are ids, locks are files."""
import os
import subprocess
import sys
import textwrap

import pytest

from wrongnumber.core import gpu_slot
from wrongnumber.core.gpu_slot import claim, claim_gpus, default_lock_dir, visible_devices

HOLDER = textwrap.dedent("""
    import sys, time
    from wrongnumber.core.gpu_slot import claim
    held = claim(1, sys.argv[2].split(","), sys.argv[1])
    print(",".join(held.devices), flush=True)
    time.sleep(600)
""")


def hold_in_child(lock_dir, devices):
    """A second process that claims one device and keeps it until killed."""
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_dir), ",".join(devices)],
                             stdout=subprocess.PIPE, text=True)
    return child, child.stdout.readline().strip()


def test_visible_devices_from_cuda_visible_devices(tmp_path):
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "0,2, 3"}) == ["0", "2", "3"]
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "GPU-1a2b,MIG-9f"}) == ["GPU-1a2b", "MIG-9f"]
    assert visible_devices({"CUDA_VISIBLE_DEVICES": ""}) == []
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "-1"}) == []


def test_no_nvidia_smi_means_no_devices(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi on it
    assert visible_devices({}) == []


def test_devices_from_nvidia_smi_in_its_pci_order(monkeypatch, tmp_path):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\nprintf '0\\n1\\n'\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    env = {}
    held = claim_gpus(1, lock_dir=tmp_path / "locks", env=env)
    try:
        assert env == {"CUDA_VISIBLE_DEVICES": "0", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    finally:
        held.release()
        gpu_slot._HELD.remove(held)


def test_two_claims_get_different_devices_and_a_third_waits(tmp_path):
    with claim(1, ["0", "1"], tmp_path) as a, claim(1, ["0", "1"], tmp_path) as b:
        assert (a.devices, b.devices) == (["0"], ["1"])
        with pytest.raises(TimeoutError):
            claim(1, ["0", "1"], tmp_path, poll_s=0.05, timeout_s=0.2)
    with claim(1, ["0", "1"], tmp_path) as c:  # released on exit: the first device is free again
        assert c.devices == ["0"]


def test_claims_across_processes_and_release_when_the_holder_dies(tmp_path):
    child, child_dev = hold_in_child(tmp_path, ["0", "1"])
    try:
        assert child_dev == "0"
        with claim(1, ["0", "1"], tmp_path) as mine:
            assert mine.devices == ["1"]
        child.kill()  # SIGKILL: no cleanup code runs, the kernel drops the lock
        child.wait()
        with claim(1, ["0", "1"], tmp_path) as mine:
            assert mine.devices == ["0"]
    finally:
        child.kill()
        child.wait()


def test_multi_gpu_claim_is_all_or_nothing(tmp_path):
    with claim(1, ["0", "1", "2"], tmp_path) as one:
        with claim(2, ["0", "1", "2"], tmp_path) as two:
            assert one.devices == ["0"] and two.devices == ["1", "2"]
        with pytest.raises(ValueError, match="only 3"):
            claim(4, ["0", "1", "2"], tmp_path)


def test_claim_gpus_sets_cuda_visible_devices(tmp_path):
    env_a = {"CUDA_VISIBLE_DEVICES": "3,5"}
    env_b = dict(env_a)
    a = claim_gpus(1, lock_dir=tmp_path, env=env_a)
    b = claim_gpus(1, lock_dir=tmp_path, env=env_b)
    try:
        assert (env_a["CUDA_VISIBLE_DEVICES"], env_b["CUDA_VISIBLE_DEVICES"]) == ("3", "5")
    finally:
        for held in (a, b):
            held.release()
            gpu_slot._HELD.remove(held)


@pytest.mark.parametrize("n, env", [(1, {"CUDA_VISIBLE_DEVICES": ""}), (0, {"CUDA_VISIBLE_DEVICES": "0,1"})])
def test_no_gpu_or_no_request_is_a_no_op(tmp_path, n, env):
    before = dict(env)
    held = claim_gpus(n, lock_dir=tmp_path / "locks", env=env)
    assert held.devices == [] and env == before and not (tmp_path / "locks").exists()


def test_lock_dir_is_per_slurm_job(tmp_path):
    assert default_lock_dir({"WRONGNUMBER_GPU_LOCK_DIR": str(tmp_path)}) == tmp_path
    assert default_lock_dir({"WRONGNUMBER_GPU_LOCK_DIR": str(tmp_path), "SLURM_JOB_ID": "42"}) == \
        tmp_path / "slurm-42"
    assert default_lock_dir({}).name == f"wrongnumber-gpu-slots-{os.getuid()}"


def test_cli_claims_before_the_subcommand_and_reports_an_impossible_request(tmp_path, monkeypatch, capsys):
    from wrongnumber.cli import main

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "7")
    argv = ["evaluate", "--run", str(tmp_path / "no-run"), "--out", str(tmp_path / "eval"),
            "--device", "cpu", "--gpu-lock-dir", str(tmp_path / "locks")]
    assert main(argv + ["--claim-gpus", "2"]) == 2  # one line on stderr, no traceback
    assert "asks for 2 GPUs but only 1" in capsys.readouterr().err
    main(argv + ["--claim-gpus", "1"])  # the run is missing, but the GPU was claimed first
    try:
        assert "gpu-slot: CUDA_VISIBLE_DEVICES=7" in capsys.readouterr().out
        assert (tmp_path / "locks" / "gpu-7.lock").exists()
        with pytest.raises(TimeoutError):  # still held by this process after main() returned
            claim(1, ["7"], tmp_path / "locks", poll_s=0.05, timeout_s=0.1)
    finally:
        gpu_slot._HELD.pop().release()
