"""Training and evaluation throughput of variants C and R, and their distance to the hardware bound.

    python benchmarks/train_throughput.py                          # CPU, and CUDA when present
    OMP_WAIT_POLICY=PASSIVE python benchmarks/train_throughput.py  # on a shared machine
    python benchmarks/train_throughput.py --modes default channels_last fused_adam --batch-sizes 64

Modes are named TrainConfig speed settings (MODES below): "default" gives bit-identical
results; "fast" (channels_last + fused Adam) is the fastest on CPU and not bit-identical.

What is timed (warm-up first, never counted; the median over --repeats is reported)
  train     `wrongnumber.train.train_step`, the function train() calls for every batch: uint8
            batch -> model input -> step_losses -> zero_grad -> backward -> Adam step, with the
            model and optimiser from `train.build_training`, so every speed option the trainer
            honours (a "mode" below) is honoured here. Batches are gathered by random index from
            a pool of real digits (tests/fixtures/mnist-mini, or --data-dir), as train() gathers
            them from its permutation.
  validate  `wrongnumber.train.validate` at the same batch size: eval-mode forward, Grad-CAM and
            both losses, the pass train() makes over the validation split every epoch.
  evaluate  the two batched passes of `wrongnumber.evaluate.evaluate` over a test set at that
            batch size: `predict` (forward under inference_mode) and `cam_distances` (Grad-CAM of
            every test image); images/s = images / (both times). Each is also kept on its own.
  Evaluation runs the same network for C and R, so it is timed once per mode. Each case runs
  --images-per-repeat images per repeat (10 steps of 64, 5 of 128, 3 of 256 by default).
  One repeat times every case once (each mode x variant, then the bound kernels), so a change
  of load on a shared machine hits all of them alike; ratios (R/C, distance to the bound) are
  taken within a repeat, then the median over repeats. The spread (min-max over repeats) is
  printed beside every median. CPU: time.perf_counter. CUDA: CUDA events after a synchronize.
  On CPU the process's CPU seconds (all threads, time.process_time) are also kept: they leave
  out the time other programs hold the cores, so on a shared machine "img/CPU-s" and
  "distance(CPU)" compare code far more steadily than wall time does.

Per-epoch time and the paper
  seconds per epoch = 60,000 / train images/s (an epoch of the 60k MNIST training images;
  train() holds 10 % out for validation, whose cost `validate` shows). The paper trained on one
  Quadro RTX 5000: R 18.88 h for 9 epochs, C 23.49 h for 13 (about 2 h per epoch); speed-up =
  the paper's seconds per epoch / ours, across different hardware, as stated in the output.

The bound
  FLOPs: `torch.utils.flop_counter.FlopCounterMode` counts one real train_step of the default
  mode: 2 FLOPs per multiply-accumulate of every convolution and matmul in the forward, the
  backward and, for R, the Grad-CAM gradient (head backward to the CAM layer), the bicubic
  upsampling matmul and its backward. Divided by B: FLOPs per image. Elementwise work
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

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map
from torch.utils.flop_counter import FlopCounterMode, flop_registry

from wrongnumber import runinfo
from wrongnumber.data import Split, load_dataset
from wrongnumber.evaluate import cam_distances, predict
from wrongnumber.train import TrainConfig, build_training, train_step, validate

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mnist-mini"
PAPER = {"gpu": "NVIDIA Quadro RTX 5000",
         "R": {"hours": 18.88, "epochs": 9}, "C": {"hours": 23.49, "epochs": 13}}
EPOCH_IMAGES = 60_000
# Read when torch loads, so they can only be set outside: OMP_WAIT_POLICY=PASSIVE matters a lot
# on a shared machine (see benchmarks/README.md). Recorded with every result.
ENV_KNOBS = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOMP_SPINCOUNT")
# Named speed settings: TrainConfig overrides. A mode whose fields this TrainConfig lacks is
# skipped, so the same script also measures older code (the "before" baseline).
# The speed work and benchmarks/README.md's numbers predate the readings study, which made
# differentiable CAM weights the default; they are for detached weights (what hooks capture),
# which `--compile` needs, and the benchmark keeps measuring those.
READING = {"cam_weights": "detached"}
MODES = {
    "default": {},                                                     # bit-identical results
    "channels_last": {"memory_format": "channels_last"},
    "compile": {"compile": "default"},
    "foreach_adam": {"adam_impl": "foreach"},
    "fused_adam": {"adam_impl": "fused"},
    "fast": {"memory_format": "channels_last", "adam_impl": "fused"},  # the CPU winners
    "bf16": {"amp": "bf16"},
}
DEVICE_MODES = {"cpu": ["default", "fast"],  # compile and bf16 lose on this CPU: benchmarks/README.md
                "cuda": ["default", "fast", "compile", "bf16"]}


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


def count_step(variant: str, batch: int, pool: Split, spec, device: torch.device) -> dict:
    """FLOPs of one default-mode train_step (per image, by op) and its recorded kernel calls."""
    cfg = TrainConfig(variant=variant, batch_size=batch, **READING)
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
    """One (mode, variant, batch size): its own model and optimiser, stepping as train() does."""

    def __init__(self, mode: str, variant: str, batch: int, pool: Split, spec, device, seed=0):
        self.mode, self.variant, self.batch = mode, variant, batch
        self.cfg = TrainConfig(variant=variant, batch_size=batch, **READING, **MODES[mode]).validate()
        self.model, self.net, self.opt = build_training(self.cfg, device)
        self.pool, self.spec = pool, spec
        g = torch.Generator().manual_seed(seed)
        self.batches = [torch.randint(len(pool.labels), (batch,), generator=g).to(device)
                        for _ in range(8)]
        self.k = 0
        self.sums = torch.zeros(5, dtype=torch.float64, device=device)
        self.ips: list[float] = []      # images per wall second, one per repeat
        self.cpu_s: list[float] = []    # CPU seconds per image (CPU only), one per repeat

    def step(self):
        idx = self.batches[self.k % len(self.batches)]
        self.k += 1
        self.sums += train_step(self.net, self.opt, self.pool.images[idx], self.pool.labels[idx],
                                self.spec, self.cfg)


def run_device(device: torch.device, args, pool_cpu: Split, spec) -> dict:
    if device.type == "cuda":
        torch.use_deterministic_algorithms(True, warn_only=True)  # as train() does on CUDA
    pool = Split(pool_cpu.images.to(device), pool_cpu.labels.to(device),
                 pool_cpu.indices.to(device))
    n_eval = args.eval_images
    reps = math.ceil(n_eval / len(pool.labels))
    eval_split = Split(pool.images.repeat(reps, 1, 1)[:n_eval], pool.labels.repeat(reps)[:n_eval],
                       torch.arange(n_eval, device=device))
    asked = args.modes or DEVICE_MODES[device.type]
    modes = [m for m in asked if set(MODES[m]) <= {f.name for f in fields(TrainConfig)}]
    skipped = sorted(set(asked) - set(modes))
    if skipped:
        print(f"[{device}] skipping modes this TrainConfig does not support: {skipped}", flush=True)
    if device.type != "cuda" and "bf16" in modes and "bf16" not in args.force_modes:
        modes.remove("bf16")  # CPU autocast to bf16 is emulated on most CPUs; ask with --force-modes
        print(f"[{device}] skipping mode bf16 on CPU (pass --force-modes bf16 to time it)", flush=True)

    # FLOPs and the kernel list of each (variant, batch), from the default mode
    counts = {(v, b): count_step(v, b, pool, spec, device)
              for v in args.variants for b in args.batch_sizes}
    replays = {(v, b, layout): make_replay(counts[v, b]["calls"], device, layout)
               for v in args.variants for b in args.batch_sizes
               for layout in ("nchw", "channels_last")}

    cases = [Case(m, v, b, pool, spec, device) for m in modes for v in args.variants
             for b in args.batch_sizes]
    warm = {}
    for c in cases:  # warm-up: allocator, kernel selection, torch.compile
        t = timed(c.step, 1, device)
        warm[(c.mode, c.variant, c.batch)] = t
        timed(c.step, args.warmup, device)
    for r in replays.values():
        timed(r, 2, device)
    evals = {(m, b): {"validate": [], "predict": [], "cam_distances": [], "evaluate": []}
             for m in modes for b in args.batch_sizes}
    eval_cfg = {m: next(c for c in cases if c.mode == m) for m in modes}
    bound_s = {k: [] for k in replays}      # wall seconds per replayed step
    bound_cpu = {k: [] for k in replays}    # CPU seconds per replayed step (CPU only)

    steps = {b: math.ceil(args.images_per_repeat / b) for b in args.batch_sizes}
    load_before = os.getloadavg()
    for rep in range(args.repeats):
        for c in cases:
            c.model.train()
            wall, cpu = timed_both(c.step, steps[c.batch], device)
            c.ips.append(c.batch * steps[c.batch] / wall)
            if cpu is not None:
                c.cpu_s.append(cpu / (c.batch * steps[c.batch]))
        for (v, b, layout), replay in replays.items():
            wall, cpu = timed_both(replay, steps[b], device)
            bound_s[v, b, layout].append(wall / steps[b])
            if cpu is not None:
                bound_cpu[v, b, layout].append(cpu / steps[b])
        for (m, b), out in evals.items():
            c = eval_cfg[m]
            t_val = timed(lambda: validate(c.model, eval_split, spec, c.cfg, batch_size=b), 1, device)
            t_pred = timed(lambda: predict(c.model, eval_split, spec, batch_size=b), 1, device)
            t_cam = timed(lambda: cam_distances(c.model, eval_split, spec, c.cfg.cam_target,
                                                batch_size=b), 1, device)
            out["validate"].append(n_eval / t_val)
            out["predict"].append(n_eval / t_pred)
            out["cam_distances"].append(n_eval / t_cam)
            out["evaluate"].append(n_eval / (t_pred + t_cam))
        print(f"[{device}] repeat {rep + 1}/{args.repeats} done", flush=True)
    load_after = os.getloadavg()

    rows = []
    for c in cases:
        v, b = c.variant, c.batch
        per_rep_bound = [b / min(bound_s[v, b, "nchw"][i], bound_s[v, b, "channels_last"][i])
                         for i in range(args.repeats)]
        best_layout = min(("nchw", "channels_last"),
                          key=lambda lay: statistics.median(bound_s[v, b, lay]))
        ips = statistics.median(c.ips)
        epoch_s = EPOCH_IMAGES / ips
        paper_epoch_s = PAPER[v]["hours"] * 3600 / PAPER[v]["epochs"]
        flops = counts[v, b]["flops_per_image"]
        bound_ips = statistics.median(per_rep_bound)
        cpu_bound = [b / min(bound_cpu[v, b, "nchw"][i], bound_cpu[v, b, "channels_last"][i])
                     for i in range(len(bound_cpu[v, b, "nchw"]))]  # images per CPU second
        rows.append({
            "mode": c.mode, "variant": v, "batch_size": b, "config_overrides": MODES[c.mode],
            "train_images_per_s": summary(c.ips),
            "first_step_s": warm[(c.mode, v, b)],
            "epoch_seconds_60k": epoch_s,
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
            cr = {r["variant"]: r for r in rows if r["mode"] == m and r["batch_size"] == b}
            if {"C", "R"} <= set(cr):
                per_rep = [c_ / r_ for c_, r_ in zip(cr["C"]["train_images_per_s"]["values"],
                                                     cr["R"]["train_images_per_s"]["values"])]
                row = {"mode": m, "batch_size": b, "r_over_c_cost": summary(per_rep)}
                if cr["C"]["train_images_per_cpu_s"]:
                    row["r_over_c_cpu_time"] = summary(
                        [c_ / r_ for c_, r_ in zip(cr["C"]["train_images_per_cpu_s"]["values"],
                                                   cr["R"]["train_images_per_cpu_s"]["values"])])
                ratios.append(row)
    return {
        "device": device.type,
        "device_name": (runinfo.device_name(device) if device.type == "cuda"
                        else f"{_cpu_model()} ({torch.get_num_threads()} threads)"),
        "threads": torch.get_num_threads(), "load_average_before": load_before,
        "load_average_after": load_after, "modes": modes,
        "flops": {f"{v}/{b}": {k: val for k, val in counts[v, b].items() if k != "calls"}
                  for v, b in counts},
        "train": rows, "r_over_c": ratios,
        "eval": [{"mode": m, "batch_size": b, "images": n_eval,
                  **{f"{k}_images_per_s": summary(xs) for k, xs in out.items()}}
                 for (m, b), out in evals.items()],
    }


# ----------------------------------------------------------------------------- report
def spread(s: dict) -> str:
    return f"{s['median']:8.0f} ({s['min']:.0f}-{s['max']:.0f})"


def print_tables(res: dict) -> None:
    env = " ".join(f"{k}={v}" for k, v in ((k, os.environ.get(k)) for k in ENV_KNOBS) if v)
    print(f"\n== {res['device']}: {res['device_name']}, torch {torch.__version__}, "
          f"load average {res['load_average_before'][0]:.1f} -> {res['load_average_after'][0]:.1f}"
          f"{', ' + env if env else ''}")
    print(f"{'mode':<14}{'var':<4}{'batch':>5}  {'train img/s (min-max)':>24}  {'s/epoch':>8}  "
          f"{'vs paper':>9}  {'bound img/s':>11}  {'distance':>8}  {'GFLOP/s':>7}  "
          f"{'img/CPU-s':>9}  {'distance(CPU)':>13}")
    for r in res["train"]:
        cpu = (f"{r['train_images_per_cpu_s']['median']:9.0f}  {r['distance_to_bound_cpu_time']:12.2f}x"
               if r["train_images_per_cpu_s"] else "")
        print(f"{r['mode']:<14}{r['variant']:<4}{r['batch_size']:>5}  "
              f"{spread(r['train_images_per_s']):>24}  {r['epoch_seconds_60k']:8.1f}  "
              f"{r['speedup_vs_paper']:8.0f}x  {r['bound_images_per_s']['median']:11.0f}  "
              f"{r['distance_to_bound']:7.2f}x  {r['achieved_gflops']:7.1f}  {cpu}")
    print("R/C cost per epoch (median of per-repeat ratios, min-max; wall time, then CPU time):")
    for q in res["r_over_c"]:
        s, c = q["r_over_c_cost"], q.get("r_over_c_cpu_time")
        cpu = f"   CPU time {c['median']:.2f} ({c['min']:.2f}-{c['max']:.2f})" if c else ""
        print(f"  {q['mode']:<14} batch {q['batch_size']:>4}: {s['median']:.2f} "
              f"({s['min']:.2f}-{s['max']:.2f}){cpu}")
    print(f"{'mode':<14}{'batch':>5}  {'validate img/s (min-max)':>26}  {'evaluate img/s (min-max)':>26}")
    for e in res["eval"]:
        print(f"{e['mode']:<14}{e['batch_size']:>5}  {spread(e['validate_images_per_s']):>26}  "
              f"{spread(e['evaluate_images_per_s']):>26}")
    print("FLOPs per image of one training step (forward + backward [+ CAM path for R]):")
    for key, f in res["flops"].items():
        ops = ", ".join(f"{op.split('.')[-1]} {n / 1e6:.2f}M" for op, n in sorted(f["by_op"].items()))
        print(f"  {key:<8} {f['flops_per_image'] / 1e6:6.2f} MFLOP  ({ops})")


def markdown(record: dict) -> str:
    """The timing table the report shows: our per-epoch time, the device, the speed-up."""
    paper = PAPER
    lines = [f"Training speed (`benchmarks/train_throughput.py`, {record['time']}, torch "
             f"{record['versions']['torch']}). Paper: {paper['gpu']}, R {paper['R']['hours']} h for "
             f"{paper['R']['epochs']} epochs, C {paper['C']['hours']} h for {paper['C']['epochs']} "
             f"epochs. Epoch = {record['epoch_images']:,} training images; medians over "
             f"{record['settings']['repeats']} repeats.", ""]
    for res in record["results"]:
        lines += [f"**{res['device']}: {res['device_name']}** (load average "
                  f"{res['load_average_before'][0]:.1f})", "",
                  "| mode | variant | batch | images/s | s per epoch | paper s per epoch | "
                  "speed-up vs paper | distance to bound |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
        for r in res["train"]:
            lines.append(f"| {r['mode']} | {r['variant']} | {r['batch_size']} | "
                         f"{r['train_images_per_s']['median']:.0f} | {r['epoch_seconds_60k']:.1f} | "
                         f"{r['paper_epoch_seconds']:.0f} | {r['speedup_vs_paper']:.0f}x | "
                         f"{r['distance_to_bound']:.2f}x |")
        ratios = ", ".join(f"{q['mode']} batch {q['batch_size']}: {q['r_over_c_cost']['median']:.2f}"
                           for q in res["r_over_c"])
        flags = {m: " ".join(f"--{k.replace('_', '-')} {v}" for k, v in record["modes"][m].items())
                 for m in res["modes"]}
        modes = "; ".join(f"{m}: {f} (not bit-identical)" if f else f"{m}: bit-identical results"
                          for m, f in flags.items())
        lines += ["", f"R/C cost per epoch: {ratios}. Modes: {modes}.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--devices", nargs="+", default=None,
                   help="cpu and/or cuda (default: cpu, plus cuda when available)")
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[64, 128, 256])
    p.add_argument("--variants", nargs="+", default=["C", "R"], choices=["C", "R"])
    p.add_argument("--modes", nargs="+", default=None, choices=sorted(MODES),
                   help="speed settings to time, see MODES (default: DEVICE_MODES of each device)")
    p.add_argument("--force-modes", nargs="*", default=[], help="run these even where skipped")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--images-per-repeat", type=int, default=640,
                   help="training images per case per repeat (steps = this / batch, rounded up)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps per case first")
    p.add_argument("--eval-images", type=int, default=512)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--data-dir", default=str(FIXTURE), help="IDX folder whose training images are the pool")
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
        print_tables(res)
        results.append(res)
    record = {
        "benchmark": "train_throughput", "argv": sys.argv[1:] if argv is None else argv,
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "pool_images": len(data.train.labels), "epoch_images": EPOCH_IMAGES, "paper": PAPER,
        "modes": MODES, "versions": runinfo.versions(), "git_commit": runinfo.git_commit(),
        "platform": platform.platform(), "cpu": _cpu_model(), "cpu_count": os.cpu_count(),
        "in_container": runinfo.in_container(),
        "environment": {k: os.environ.get(k) for k in ENV_KNOBS},
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    runinfo.write_json_atomic(args.out, record)
    Path(args.out).with_suffix(".md").write_text(markdown(record))
    print(f"\nwrote {args.out} and {Path(args.out).with_suffix('.md')}")
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    sys.exit(main())
