"""Training and evaluation throughput of C and R (both channel-weight readings), the whole-epoch
cost, and the distance to the hardware bound.

    python benchmarks/train_throughput.py                          # CPU, and CUDA when present
    python benchmarks/train_throughput.py --real-epoch             # + one real epoch on full MNIST
    python benchmarks/train_throughput.py --modes default nchw --batch-sizes 64

Cases are C and R under each reading of the Grad-CAM channel weights (`cam_weights`), the
committed default reading first ("R"), the other beside it ("R:detached" or
"R:differentiable"). Modes are named TrainConfig speed settings (MODES below): "default" is what
`wrongnumber train` runs (channels_last + fused Adam); "nchw" is the previous default
(contiguous + torch's Adam), "fast" spells today's default out, so the same script measures older
code (the "before" baseline: PYTHONPATH=<old checkout>/src).

What is timed (warm-up first, never counted; the median over --repeats is reported)
  train     `wrongnumber.core.train.train_step`, the function train() calls for every batch: uint8
            batch -> model input -> step_losses -> zero_grad -> backward -> Adam step, with the
            model and optimiser from `train.build_training`, so every speed option the trainer
            honours (a "mode" below) is honoured here. Batches are gathered by random index from
            a pool of real digits (tests/fixtures/mnist-mini, or --data-dir), as train() gathers
            them from its permutation.
  validate  `wrongnumber.core.train.validation_pass` at the same batch size: eval-mode forward, Grad-CAM and
            both losses, the pass train() makes over the validation split every epoch.
  probes    `wrongnumber.core.train.probe_cams`: the 10 probe CAMs train() stores every epoch.
  evaluate  `wrongnumber.core.evaluate.test_pass`, the one batched pass of `evaluate` over the test set
            (logits, Grad-CAM and the CAM-quality measures from one forward per batch).
  Each case runs --images-per-repeat images per repeat (10 steps of 64, 5 of 128, 3 of 256 by
  default). One repeat times every case once (each mode x case, then the bound kernels), so a
  change of load on a shared machine hits all of them alike; ratios (R/C, distance to the bound)
  are taken within a repeat, then the median over repeats. The spread (min-max over repeats) is
  printed beside every median. CPU: time.perf_counter. CUDA: CUDA events after a synchronize.
  On CPU the process's CPU seconds (all threads, time.process_time) are also kept: they leave
  out the time other programs hold the cores, so on a shared machine "img/CPU-s" and
  "distance(CPU)" compare code far more steadily than wall time does.

The epoch (what a user waits for)
  modelled: an epoch of the paper's split, 54,000 training + 6,000 validation images + the
  probes, from the rates above; evaluation (10,000 test images, once per run) beside it, as a
  share of that epoch. --real-epoch also runs `train()` itself for one epoch of each case on the
  full official MNIST (--epoch-data) and reads its own phase timings (timings.json's
  `epoch_phases`): the number a user sees, start-up excluded.

Per-epoch time and the paper
  The paper trained on one Quadro RTX 5000: R 18.88 h for 9 epochs, C 23.49 h for 13 (about 2 h
  per epoch); speed-up = the paper's seconds per epoch / our modelled epoch's, across different
  hardware, as stated in the output.

The bound
  FLOPs: `torch.utils.flop_counter.FlopCounterMode` counts one real train_step of each case in
  the default mode: 2 FLOPs per multiply-accumulate of every convolution and matmul in the
  forward, the backward and, for R, the Grad-CAM gradient (head backward to the CAM layer), the
  bicubic upsampling matmul and its backward, and for differentiable weights the second-order
  terms through the head. Divided by B: FLOPs per image. Elementwise work
  (BatchNorm, ReLU, pooling, the losses, Adam) is not counted.
  Kernel time: while that step runs, a dispatch mode records every call FlopCounterMode counts
  (aten.convolution, aten.convolution_backward, aten.addmm, aten.mm, ...) with its argument
  shapes, strides and flags. The benchmark replays that list back to back, under inference_mode,
  on random tensors of the same shapes, in NCHW and in channels_last layout, and keeps the
  faster layout: the time the device's own convolution and matmul kernels need for exactly
  these layer shapes. bound images/s = B / replay seconds, the speed of a step in which all
  other work (elementwise ops, the optimiser, Python and dispatcher overhead) cost nothing.
  distance = bound images/s / train images/s (1.0 = at the bound; larger = further away),
  per repeat, then the median; distance(CPU) is the same ratio in CPU seconds.
  For --modes with bf16 autocast the bound is still the float32 kernels'.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path

import wrongnumber  # noqa: F401  first: the numerics ($WRONGNUMBER_NUMERICS) apply before torch loads
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map
from torch.utils.flop_counter import FlopCounterMode, flop_registry

from wrongnumber.core import runinfo
from wrongnumber.core.data import Split, load_dataset
from wrongnumber.core.train import TrainConfig, build_training, probe_cams, train_step, validation_pass

try:  # one-pass evaluation; older code (the "before" baseline) evaluates in two passes
    from wrongnumber.core.evaluate import test_pass

    def evaluate_pass(model, split, spec, cam_target, batch_size):
        return test_pass(model, split, spec, cam_target, batch_size)
except ImportError:
    from wrongnumber.core.evaluate import cam_distances, predict

    def evaluate_pass(model, split, spec, cam_target, batch_size):
        return predict(model, split, spec, batch_size), cam_distances(model, split, spec, cam_target, batch_size)

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mnist-mini"
EPOCH_DATA = ROOT / "data" / "mnist"  # the vendored official MNIST (--real-epoch)
PAPER = {"gpu": "NVIDIA Quadro RTX 5000",
         "R": {"hours": 18.88, "epochs": 9}, "C": {"hours": 23.49, "epochs": 13}}
# The paper's split of an epoch (train() holds 10 % out for validation) and its test set.
TRAIN_IMAGES, VAL_IMAGES, TEST_IMAGES, PROBES = 54_000, 6_000, 10_000, 10
# Read when torch loads, so they can only be set outside (wrongnumber/__init__.py sets
# OMP_WAIT_POLICY=PASSIVE unless it is set). Recorded with every result.
ENV_KNOBS = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOMP_SPINCOUNT")
# Named speed settings: TrainConfig overrides. A mode whose fields this TrainConfig lacks is
# skipped, so the same script also measures older code (the "before" baseline).
MODES = {
    "default": {},                                                     # what `wrongnumber train` runs
    "fast": {"memory_format": "channels_last", "adam_impl": "fused"},  # today's default, spelled out
    "nchw": {"memory_format": "contiguous", "adam_impl": "auto"},      # the previous default
    "compile": {"compile": "default", "cam_weights": "detached"},      # no double backward in compile
    "bf16": {"amp": "bf16"},
}
DEVICE_MODES = {"cpu": ["default", "nchw"],  # compile and bf16 lose on this CPU: benchmarks/README.md
                "cuda": ["default", "nchw", "compile", "bf16"]}
READINGS = ("differentiable", "detached")  # TrainConfig.cam_weights values


def cases(readings=READINGS) -> list[tuple[str, dict]]:
    """(label, TrainConfig overrides): C, then R under the default reading, then the others."""
    default = TrainConfig().cam_weights
    order = [default] + [r for r in readings if r != default]
    return [("C", {"variant": "C"})] + [
        ("R" if r == default else f"R:{r}", {"variant": "R", "cam_weights": r}) for r in order]


# ----------------------------------------------------------------------------- timing
def timed(fn, n: int, device: torch.device) -> float:
    """Seconds for n calls of fn; on CUDA the queued kernels are waited for (events + sync)."""
    return timed_both(fn, n, device)[0]


def timed_both(fn, n: int, device: torch.device) -> tuple[float, float | None]:
    """(wall seconds, CPU seconds of this process) for n calls of fn; CPU seconds on CPU only.

    CPU seconds (all threads) do not count the time other programs hold the cores, so on a
    shared machine they compare code far more steadily than wall time; with
    OMP_WAIT_POLICY=PASSIVE idle OpenMP threads sleep instead of spinning into them.
    """
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(n):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3, None
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - t0, time.process_time() - c0


def summary(xs: list[float]) -> dict:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs),
            "values": xs}


# ----------------------------------------------------------------------------- the bound
@dataclass(frozen=True)
class TensorSpec:  # a recorded tensor argument (a dataclass, so pytree treats it as a leaf)
    shape: tuple
    stride: tuple
    dtype: torch.dtype


class KernelRecorder(TorchDispatchMode):
    """Records every call FlopCounterMode would count: (op, args, kwargs), tensors as specs."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func.overloadpacket in flop_registry:
            spec = lambda t: (TensorSpec(tuple(t.shape), t.stride(), t.dtype)
                              if isinstance(t, torch.Tensor) else t)
            self.calls.append((func, tree_map(spec, args), tree_map(spec, kwargs)))
        return func(*args, **kwargs)


def materialise(spec, device: torch.device, layout: str):
    """A random tensor for a recorded spec: 4-D in the asked layout, others with their strides."""
    if not isinstance(spec, TensorSpec):
        return spec
    shape, stride, dtype = spec.shape, spec.stride, spec.dtype
    if len(shape) == 4:
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        return torch.randn(shape, device=device, dtype=dtype).contiguous(memory_format=fmt)
    # keep transposes and expanded (stride 0) views: build the smallest storage that fits
    storage = 1 + sum((s - 1) * st for s, st in zip(shape, stride)) if shape else 1
    return torch.randn(storage, device=device, dtype=dtype).as_strided(shape, stride)


def make_replay(calls, device: torch.device, layout: str):
    prepared = [(f, tree_map(lambda s: materialise(s, device, layout), a),
                 tree_map(lambda s: materialise(s, device, layout), k)) for f, a, k in calls]

    def replay():
        with torch.inference_mode():
            for f, a, k in prepared:
                f(*a, **k)
    return replay


def count_step(overrides: dict, batch: int, pool: Split, spec, device: torch.device) -> dict:
    """FLOPs of one default-mode train_step (per image, by op) and its recorded kernel calls."""
    cfg = TrainConfig(batch_size=batch, **overrides)
    model, net, opt = build_training(cfg, device)
    model.train()
    idx = torch.arange(batch, device=device) % len(pool.labels)
    with FlopCounterMode(display=False) as counter, KernelRecorder() as rec:
        train_step(net, opt, pool.images[idx], pool.labels[idx], spec, cfg)
    by_op = {str(op): n / batch for op, n in counter.get_flop_counts()["Global"].items()}
    return {"flops_per_image": counter.get_total_flops() / batch, "by_op": by_op,
            "calls": rec.calls}


# ----------------------------------------------------------------------------- one case
class Case:
    """One (mode, case, batch size): its own model and optimiser, stepping as train() does."""

    def __init__(self, mode: str, label: str, overrides: dict, batch: int, pool: Split, spec,
                 device, seed=0):
        self.mode, self.label, self.batch = mode, label, batch
        self.variant = overrides["variant"]
        self.cfg = TrainConfig(batch_size=batch, **{**overrides, **MODES[mode]}).validate()
        self.model, self.net, self.opt = build_training(self.cfg, device)
        self.pool, self.spec = pool, spec
        g = torch.Generator().manual_seed(seed)
        self.batches = [torch.randint(len(pool.labels), (batch,), generator=g).to(device)
                        for _ in range(8)]
        self.k = 0
        self.sums = torch.zeros(5, dtype=torch.float64, device=device)
        self.ips: list[float] = []      # images per wall second, one per repeat
        self.cpu_s: list[float] = []    # CPU seconds per image (CPU only), one per repeat
        self.other = {"validate": [], "probes": [], "evaluate": []}  # images per wall second

    def step(self):
        idx = self.batches[self.k % len(self.batches)]
        self.k += 1
        self.sums += train_step(self.net, self.opt, self.pool.images[idx], self.pool.labels[idx],
                                self.spec, self.cfg)

    def time_passes(self, split: Split, probes: Split, device) -> None:
        """Validation, probe CAMs and the test pass, as train() and evaluate() run them."""
        n, b = len(split.labels), self.batch
        self.other["validate"].append(n / timed(
            lambda: validation_pass(self.model, split, self.spec, self.cfg, batch_size=max(b, 1000)), 1, device))
        self.other["probes"].append(PROBES / timed(
            lambda: probe_cams(self.model, probes, self.spec, self.cfg), 1, device))
        self.other["evaluate"].append(n / timed(
            lambda: evaluate_pass(self.model, split, self.spec, self.cfg.cam_target, 500), 1, device))
        self.model.train()


def epoch_seconds(case: Case, rep: int) -> dict:
    """The modelled epoch of one repeat: training, validation, probes; evaluation beside it."""
    train = TRAIN_IMAGES / case.ips[rep]
    validate_s = VAL_IMAGES / case.other["validate"][rep]
    probes = PROBES / case.other["probes"][rep]
    epoch = train + validate_s + probes
    evaluate = TEST_IMAGES / case.other["evaluate"][rep]
    return {"train": train, "validate": validate_s, "probes": probes, "epoch": epoch,
            "evaluate": evaluate, "overhead_share": (validate_s + probes + evaluate) / epoch}


def run_device(device: torch.device, args, pool_cpu: Split, spec) -> dict:
    if device.type == "cuda":
        torch.use_deterministic_algorithms(True, warn_only=True)  # as train() does on CUDA
    pool = Split(pool_cpu.images.to(device), pool_cpu.labels.to(device),
                 pool_cpu.indices.to(device))
    n_eval = args.eval_images
    reps = math.ceil(n_eval / len(pool.labels))
    eval_split = Split(pool.images.repeat(reps, 1, 1)[:n_eval], pool.labels.repeat(reps)[:n_eval],
                       torch.arange(n_eval, device=device))
    probes = Split(pool.images[:PROBES], pool.labels[:PROBES], torch.arange(PROBES, device=device))
    known = {f.name for f in fields(TrainConfig)}
    asked = args.modes or DEVICE_MODES[device.type]
    modes = [m for m in asked if set(MODES[m]) <= known]
    skipped = sorted(set(asked) - set(modes))
    if skipped:
        print(f"[{device}] skipping modes this TrainConfig does not support: {skipped}", flush=True)
    if device.type != "cuda" and "bf16" in modes and "bf16" not in args.force_modes:
        modes.remove("bf16")  # CPU autocast to bf16 is emulated on most CPUs; ask with --force-modes
        print(f"[{device}] skipping mode bf16 on CPU (pass --force-modes bf16 to time it)", flush=True)
    labels = [(label, o) for label, o in cases(args.readings) if label in args.cases or
              label.split(":")[0] in args.cases]

    # FLOPs and the kernel list of each (case, batch), from the default mode
    counts = {(label, b): count_step(o, b, pool, spec, device) for label, o in labels
              for b in args.batch_sizes}
    replays = {(label, b, layout): make_replay(counts[label, b]["calls"], device, layout)
               for label, _ in labels for b in args.batch_sizes for layout in ("nchw", "channels_last")}

    all_cases = [Case(m, label, o, b, pool, spec, device) for m in modes for label, o in labels
                 for b in args.batch_sizes
                 if set(o) | set(MODES[m]) <= known and not (m == "compile" and o.get("cam_weights") == "differentiable")]
    warm = {}
    for c in all_cases:  # warm-up: allocator, kernel selection, torch.compile
        warm[(c.mode, c.label, c.batch)] = timed(c.step, 1, device)
        timed(c.step, args.warmup, device)
    for r in replays.values():
        timed(r, 2, device)
    bound_s = {k: [] for k in replays}      # wall seconds per replayed step
    bound_cpu = {k: [] for k in replays}    # CPU seconds per replayed step (CPU only)

    steps = {b: math.ceil(args.images_per_repeat / b) for b in args.batch_sizes}
    load_before = os.getloadavg()
    for rep in range(args.repeats):
        for c in all_cases:
            c.model.train()
            wall, cpu = timed_both(c.step, steps[c.batch], device)
            c.ips.append(c.batch * steps[c.batch] / wall)
            if cpu is not None:
                c.cpu_s.append(cpu / (c.batch * steps[c.batch]))
            c.time_passes(eval_split, probes, device)
        for (label, b, layout), replay in replays.items():
            wall, cpu = timed_both(replay, steps[b], device)
            bound_s[label, b, layout].append(wall / steps[b])
            if cpu is not None:
                bound_cpu[label, b, layout].append(cpu / steps[b])
        print(f"[{device}] repeat {rep + 1}/{args.repeats} done", flush=True)
    load_after = os.getloadavg()

    rows = []
    for c in all_cases:
        k, b = c.label, c.batch
        per_rep_bound = [b / min(bound_s[k, b, "nchw"][i], bound_s[k, b, "channels_last"][i])
                         for i in range(args.repeats)]
        best_layout = min(("nchw", "channels_last"),
                          key=lambda lay: statistics.median(bound_s[k, b, lay]))
        ips = statistics.median(c.ips)
        epochs = [epoch_seconds(c, i) for i in range(args.repeats)]
        epoch_s = statistics.median(e["epoch"] for e in epochs)
        paper_epoch_s = PAPER[c.variant]["hours"] * 3600 / PAPER[c.variant]["epochs"]
        flops = counts[k, b]["flops_per_image"]
        bound_ips = statistics.median(per_rep_bound)
        cpu_bound = [b / min(bound_cpu[k, b, "nchw"][i], bound_cpu[k, b, "channels_last"][i])
                     for i in range(len(bound_cpu[k, b, "nchw"]))]  # images per CPU second
        rows.append({
            "mode": c.mode, "case": k, "variant": c.variant, "cam_weights": c.cfg.cam_weights,
            "batch_size": b, "config_overrides": MODES[c.mode],
            "train_images_per_s": summary(c.ips),
            **{f"{name}_images_per_s": summary(xs) for name, xs in c.other.items()},
            "first_step_s": warm[(c.mode, k, b)],
            "epoch": {name: statistics.median(e[name] for e in epochs) for name in epochs[0]},
            "paper_epoch_seconds": paper_epoch_s,
            "speedup_vs_paper": paper_epoch_s / epoch_s,
            "flops_per_image": flops,
            "achieved_gflops": flops * ips / 1e9,
            "bound_images_per_s": summary(per_rep_bound),
            "bound_layout": best_layout,
            "kernel_gflops": flops * bound_ips / 1e9,
            "distance_to_bound": statistics.median(
                [bnd / got for bnd, got in zip(per_rep_bound, c.ips)]),
            "train_images_per_cpu_s": summary([1 / x for x in c.cpu_s]) if c.cpu_s else None,
            "bound_images_per_cpu_s": summary(cpu_bound) if cpu_bound else None,
            "distance_to_bound_cpu_time": statistics.median(
                [bnd * x for bnd, x in zip(cpu_bound, c.cpu_s)]) if c.cpu_s else None,
            "finite_losses": bool(torch.isfinite(c.sums).all()),
        })
    ratios = []
    for m in modes:
        for b in args.batch_sizes:
            by = {c.label: c for c in all_cases if c.mode == m and c.batch == b}
            for label, r in by.items():
                if r.variant != "R" or "C" not in by:
                    continue
                c = by["C"]
                row = {"mode": m, "batch_size": b, "case": label,
                       "r_over_c_cost": summary([x / y for x, y in zip(c.ips, r.ips)]),
                       "r_over_c_flops": counts[label, b]["flops_per_image"] / counts["C", b]["flops_per_image"]}
                if c.cpu_s:
                    row["r_over_c_cpu_time"] = summary([y / x for x, y in zip(c.cpu_s, r.cpu_s)])
                ratios.append(row)
    return {
        "device": device.type,
        "device_name": (runinfo.device_name(device) if device.type == "cuda"
                        else f"{runinfo.cpu_model()}, {torch.get_num_threads()} thread(s)"),
        "threads": torch.get_num_threads(), "load_average_before": load_before,
        "load_average_after": load_after, "modes": modes,
        "flops": {f"{k}/{b}": {n: v for n, v in counts[k, b].items() if n != "calls"}
                  for k, b in counts},
        "train": rows, "r_over_c": ratios,
    }


def real_epochs(device: torch.device, args) -> list[dict]:
    """One epoch of `train()` per case on the full data: its own phase timings (no start-up)."""
    import tempfile

    from wrongnumber.core.train import train
    out = []
    for label, overrides in cases(args.readings):
        cfg = TrainConfig(max_epochs=1, **overrides).validate()
        data = load_dataset("mnist", data_dir=args.epoch_data, seed=0, device=device)
        with tempfile.TemporaryDirectory() as tmp:
            train(cfg, data, tmp, device, log=lambda s: None)
            timings = runinfo_json(Path(tmp) / "timings.json")
        phases = timings["epoch_phases"][0]
        out.append({"case": label, "train_images": len(data.train.labels),
                    "val_images": len(data.val.labels), "seconds": timings["epoch_seconds"][0],
                    "phases": phases})
        print(f"[{device}] real epoch {label}: {timings['epoch_seconds'][0]:.1f} s "
              f"({', '.join(f'{k} {v:.1f} s' for k, v in phases.items())})", flush=True)
    return out


def runinfo_json(path: Path) -> dict:
    import json
    return json.loads(path.read_text())


# ----------------------------------------------------------------------------- report
def spread(s: dict) -> str:
    return f"{s['median']:8.0f} ({s['min']:.0f}-{s['max']:.0f})"


def print_tables(res: dict) -> None:
    env = " ".join(f"{k}={v}" for k, v in ((k, os.environ.get(k)) for k in ENV_KNOBS) if v)
    print(f"\n== {res['device']}: {res['device_name']}, torch {torch.__version__}, "
          f"load average {res['load_average_before'][0]:.1f} -> {res['load_average_after'][0]:.1f}"
          f"{', ' + env if env else ''}")
    print(f"{'mode':<9}{'case':<18}{'batch':>5}  {'train img/s (min-max)':>24}  {'epoch s':>8}  "
          f"{'vs paper':>9}  {'bound img/s':>11}  {'distance':>8}  {'img/CPU-s':>9}  {'distance(CPU)':>13}")
    for r in res["train"]:
        cpu = (f"{r['train_images_per_cpu_s']['median']:9.0f}  {r['distance_to_bound_cpu_time']:12.2f}x"
               if r["train_images_per_cpu_s"] else "")
        print(f"{r['mode']:<9}{r['case']:<18}{r['batch_size']:>5}  "
              f"{spread(r['train_images_per_s']):>24}  {r['epoch']['epoch']:8.1f}  "
              f"{r['speedup_vs_paper']:8.0f}x  {r['bound_images_per_s']['median']:11.0f}  "
              f"{r['distance_to_bound']:7.2f}x  {cpu}")
    print("R/C cost per training image (median of per-repeat ratios, min-max; wall, then CPU time; "
          "FLOPs ratio):")
    for q in res["r_over_c"]:
        s, c = q["r_over_c_cost"], q.get("r_over_c_cpu_time")
        cpu = f"   CPU time {c['median']:.3f} ({c['min']:.3f}-{c['max']:.3f})" if c else ""
        print(f"  {q['mode']:<9}{q['case']:<18} batch {q['batch_size']:>4}: {s['median']:.3f} "
              f"({s['min']:.3f}-{s['max']:.3f}){cpu}   FLOPs {q['r_over_c_flops']:.3f}")
    print("The modelled epoch (54,000 train + 6,000 validation images + probes) and evaluation (10,000):")
    print(f"{'mode':<9}{'case':<18}{'batch':>5}  {'train s':>8} {'val s':>7} {'probes s':>8} "
          f"{'epoch s':>8} {'eval s':>7}  {'(val+probes+eval)/epoch':>24}")
    for r in res["train"]:
        e = r["epoch"]
        print(f"{r['mode']:<9}{r['case']:<18}{r['batch_size']:>5}  {e['train']:8.1f} {e['validate']:7.2f} "
              f"{e['probes']:8.3f} {e['epoch']:8.1f} {e['evaluate']:7.2f}  {100 * e['overhead_share']:23.1f}%")
    print("FLOPs per image of one training step (forward + backward [+ CAM path for R]):")
    for key, f in res["flops"].items():
        ops = ", ".join(f"{op.split('.')[-1]} {n / 1e6:.2f}M" for op, n in sorted(f["by_op"].items()))
        print(f"  {key:<22} {f['flops_per_image'] / 1e6:6.2f} MFLOP  ({ops})")
    for e in res.get("real_epochs", []):
        print(f"real epoch, {e['case']:<18} {e['seconds']:7.1f} s  "
              + ", ".join(f"{k} {v:.1f} s" for k, v in e["phases"].items())
              + f"  ({e['train_images']:,} train / {e['val_images']:,} validation images)")


def markdown(record: dict) -> str:
    """The timing table: our epoch, the device, R/C, the distance to the bound, the speed-up."""
    paper = PAPER
    lines = [f"Training speed (`benchmarks/train_throughput.py`, {record['time']}, torch "
             f"{record['versions']['torch']}). Paper: {paper['gpu']}, R {paper['R']['hours']} h for "
             f"{paper['R']['epochs']} epochs, C {paper['C']['hours']} h for {paper['C']['epochs']} "
             f"epochs. Epoch = {TRAIN_IMAGES:,} training + {VAL_IMAGES:,} validation images and "
             f"the probe CAMs; medians over {record['settings']['repeats']} repeats.", ""]
    for res in record["results"]:
        lines += [f"**{res['device']}: {res['device_name']}** (load average "
                  f"{res['load_average_before'][0]:.1f})", "",
                  "| mode | case | batch | train images/s | epoch s | of which validation + probes s "
                  "| evaluation s | paper s per epoch | speed-up vs paper | distance to bound |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in res["train"]:
            e = r["epoch"]
            lines.append(f"| {r['mode']} | {r['case']} | {r['batch_size']} | "
                         f"{r['train_images_per_s']['median']:,.0f} | {e['epoch']:.1f} | "
                         f"{e['validate'] + e['probes']:.1f} | {e['evaluate']:.1f} | "
                         f"{r['paper_epoch_seconds']:,.0f} | {r['speedup_vs_paper']:.0f}x | "
                         f"{r['distance_to_bound']:.2f}x |")
        ratios = ", ".join(f"{q['case']} ({q['mode']}, batch {q['batch_size']}): "
                           f"{q['r_over_c_cost']['median']:.3f} (FLOPs {q['r_over_c_flops']:.3f})"
                           for q in res["r_over_c"])
        flags = {m: " ".join(f"--{k.replace('_', '-')} {v}" for k, v in record["modes"][m].items())
                 for m in res["modes"]}
        modes = "; ".join(f"{m}: {f}" if f else f"{m}: what `wrongnumber train` runs"
                          for m, f in flags.items())
        lines += ["", f"R/C cost per training image: {ratios}. Modes: {modes}.", ""]
        for e in res.get("real_epochs", []):
            lines.append(f"- one real epoch of `train()`, {e['case']}: {e['seconds']:.1f} s ("
                         + ", ".join(f"{k} {v:.1f} s" for k, v in e["phases"].items()) + ")")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--devices", nargs="+", default=None,
                   help="cpu and/or cuda (default: cpu, plus cuda when available)")
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[64])
    p.add_argument("--cases", nargs="+", default=["C", "R"],
                   help="C and/or R (R: every reading of --readings), or a label such as R:detached")
    p.add_argument("--readings", nargs="+", default=list(READINGS), choices=READINGS,
                   help="cam_weights readings of R to time (the default reading always first)")
    p.add_argument("--modes", nargs="+", default=None, choices=sorted(MODES),
                   help="speed settings to time, see MODES (default: DEVICE_MODES of each device)")
    p.add_argument("--force-modes", nargs="*", default=[], help="run these even where skipped")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--images-per-repeat", type=int, default=640,
                   help="training images per case per repeat (steps = this / batch, rounded up)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps per case first")
    p.add_argument("--eval-images", type=int, default=1000,
                   help="images of the validation and evaluation passes per repeat")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--data-dir", default=str(FIXTURE), help="IDX folder whose training images are the pool")
    p.add_argument("--real-epoch", action="store_true",
                   help="also run one epoch of train() per case on --epoch-data (about a minute each on a CPU)")
    p.add_argument("--epoch-data", default=str(EPOCH_DATA), help="the full MNIST, for --real-epoch")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train_throughput.json"))
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = args.devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    data = load_dataset("mnist", data_dir=args.data_dir, seed=0)
    results = []
    for name in devices:
        if name.startswith("cuda") and not torch.cuda.is_available():
            print(f"skipping {name}: torch sees no CUDA device", flush=True)
            continue
        res = run_device(torch.device(name), args, data.train, data.spec)
        if args.real_epoch:
            res["real_epochs"] = real_epochs(torch.device(name), args)
        print_tables(res)
        results.append(res)
    record = {
        "benchmark": "train_throughput", "argv": sys.argv[1:] if argv is None else argv,
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "pool_images": len(data.train.labels), "paper": PAPER,
        "epoch_model": {"train": TRAIN_IMAGES, "validate": VAL_IMAGES, "probes": PROBES,
                        "evaluate": TEST_IMAGES},
        "modes": MODES, "versions": runinfo.versions(), "git_commit": runinfo.git_commit(),
        "platform": platform.platform(), "cpu": runinfo.cpu_model(), "cpu_count": os.cpu_count(),
        "in_container": runinfo.in_container(),
        "environment": {k: os.environ.get(k) for k in ENV_KNOBS},
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    runinfo.write_json_atomic(args.out, record)
    Path(args.out).with_suffix(".md").write_text(markdown(record))
    print(f"\nwrote {args.out} and {Path(args.out).with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
