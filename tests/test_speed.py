"""Speed settings and the throughput benchmark: the defaults change no value, the fast modes
train, one-forward evaluation equals the two-pass one, and the benchmark counts known FLOPs."""
import importlib.util
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from conftest import MNIST_MINI, short_config, train_run
from wrongnumber.core.cam import grad_cam, logits_and_cams, select_targets
from wrongnumber.core.data import load_dataset
from wrongnumber.core.models import PaperCNN
from wrongnumber.core.train import (CompiledNet, ConfigError, TrainConfig, build_training,
                               keep_freed_memory, train_step)

BENCHMARK = Path(__file__).parents[1] / "benchmarks" / "train_throughput.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("train_throughput", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def data():
    return load_dataset("mnist", data_dir=MNIST_MINI, seed=0)


def test_flops_of_one_training_step_known_answer(bench, data):
    """C: forward 2 x 7,748,608 MACs per image; the backward twice that, less conv1's input
    gradient (784 x 32 x 9 MACs; the input needs none). R adds the head's backward to the CAM
    layer's max-pool (256 x 10 + 1152 x 256 MACs) and the bicubic matmul forward and backward
    (49 x 784); with differentiable channel weights the loss also differentiates that head
    backward: the weight gradients of both linear layers and fc1's input gradient once more."""
    forward = 2 * 7_748_608
    c = forward + 2 * forward - 2 * 784 * 32 * 9
    r = c + 2 * (256 * 10 + 1152 * 256) + 2 * 2 * 49 * 784
    r_diff = r + 2 * (256 * 10 + 2 * 1152 * 256)
    counts = {label: bench.count_step(o, 8, data.train, data.spec, torch.device("cpu"))
              for label, o in bench.cases()}
    assert counts["C"]["flops_per_image"] == c == 46_040_064
    assert counts["R"]["flops_per_image"] == r == 46_788_672  # the default reading: detached
    assert counts["R:differentiable"]["flops_per_image"] == r_diff
    # 3 conv forwards, 3 conv backwards, 2 linear forwards, 2 x 2 linear-backward matmuls
    assert len(counts["C"]["calls"]) == 12
    replay = bench.make_replay(counts["R"]["calls"], torch.device("cpu"), "channels_last")
    replay()  # the recorded kernels run again on fresh tensors of the same shapes


def test_benchmark_writes_table_and_json(bench, tmp_path):
    out = tmp_path / "bench.json"
    bench.main(["--devices", "cpu", "--batch-sizes", "4", "--repeats", "1", "--warmup", "0",
                "--images-per-repeat", "4", "--eval-images", "4", "--out", str(out)])
    record = json.loads(out.read_text())
    (res,) = record["results"]
    assert res["modes"] == ["default", "nchw"]
    rows = {(r["mode"], r["case"]): r for r in res["train"]}
    assert set(rows) == {(m, k) for m in ("default", "nchw") for k in ("C", "R", "R:differentiable")}
    for r in rows.values():
        assert r["train_images_per_s"]["median"] > 0 and r["distance_to_bound"] > 0
        assert r["speedup_vs_paper"] == pytest.approx(r["paper_epoch_seconds"] / r["epoch"]["epoch"])
        assert r["epoch"]["epoch"] == pytest.approx(
            r["epoch"]["train"] + r["epoch"]["validate"] + r["epoch"]["probes"])
        assert r["finite_losses"]
    assert rows["default", "R"]["paper_epoch_seconds"] == pytest.approx(18.88 * 3600 / 9)
    assert {q["case"] for q in res["r_over_c"]} == {"R", "R:differentiable"}
    assert "speed-up vs paper" in out.with_suffix(".md").read_text()


def test_nchw_settings_train_close_to_the_default(tmp_path, trained_runs):
    """contiguous + torch's Adam (the previous default): other summation orders, so close to,
    not equal to, the default channels_last + fused Adam."""
    nchw = replace(short_config("R", memory_format="contiguous", adam_impl="auto"), max_epochs=1)
    got = train_run(nchw, tmp_path / "nchw")["history"][0]
    ref = trained_runs["R"][1]["history"][0]
    assert got["train_loss"] == pytest.approx(ref["train_loss"], rel=0.02)
    model, net, _ = build_training(TrainConfig(), torch.device("cpu"))
    assert net is model and model.block2.conv.weight.is_contiguous(memory_format=torch.channels_last)


def test_bf16_autocast_step_keeps_the_cam_and_losses_in_float32(data):
    cfg = TrainConfig(variant="R", amp="bf16", batch_size=8)
    model, net, opt = build_training(cfg, torch.device("cpu"))
    stats = train_step(net, opt, data.train.images[:8], data.train.labels[:8], data.spec, cfg)
    assert torch.isfinite(stats).all() and stats[3] == 0  # no NaN guard hit


def test_compile_refusals_cost_no_compilation(monkeypatch):
    monkeypatch.setattr(torch, "compile", lambda *a, **k: pytest.fail("a refused --compile compiled"))
    with pytest.raises(ConfigError, match="--compile"):
        TrainConfig(compile="default", cam_weights="differentiable").validate()
    TrainConfig(compile="default", variant="C", cam_weights="differentiable").validate()
    with pytest.raises(ConfigError, match="trunk/head"):
        CompiledNet(torch.nn.Linear(2, 2), "default")  # no CAM-layer split to compile around
    with pytest.raises(ConfigError, match="memory-format"):
        TrainConfig(memory_format="nhwc").validate()


def test_one_forward_cams_equal_the_two_pass_ones(data):
    torch.manual_seed(0)
    model = PaperCNN().eval()
    x = (data.test.images[:16].unsqueeze(1).float() / 255 - data.spec.mean) / data.spec.std
    with torch.no_grad():
        ref_logits = model(x)[0]
    ref = grad_cam(model, x, select_targets(ref_logits, data.test.labels[:16], "prediction"))
    logits, maps = logits_and_cams(model, x, data.test.labels[:16], "prediction")
    assert torch.equal(logits, ref_logits) and torch.equal(maps, ref)
    assert not maps.requires_grad


def test_keep_freed_memory_is_idempotent(monkeypatch):
    """Each call sets the same two malloc parameters (so a second call changes nothing); off
    glibc it sets none."""
    import ctypes
    import platform

    calls = []

    class Libc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    monkeypatch.setattr(platform, "system", lambda: "Linux")
    monkeypatch.setattr(platform, "libc_ver", lambda: ("glibc", "2.36"))
    keep_freed_memory()
    keep_freed_memory()
    once = [(-3, 32 << 20), (-1, 1 << 30)]  # M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 1 GiB
    assert calls == once + once
    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    keep_freed_memory()
    assert calls == once + once


def test_cuda_timing_path_with_a_stand_in(bench, monkeypatch):
    """No GPU here: run the CUDA branch of the timer against stand-in events."""
    class Event:
        def __init__(self, enable_timing):
            assert enable_timing

        def record(self):
            self.t = time.perf_counter()

        def synchronize(self):
            pass

        def elapsed_time(self, end):  # milliseconds, as CUDA events report
            return (end.t - self.t) * 1e3

    monkeypatch.setattr(torch.cuda, "Event", Event)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: None)
    wall, cpu = bench.timed_both(lambda: time.sleep(0.01), 2, torch.device("cuda"))
    assert wall >= 0.02 and cpu is None
