"""Train the paper's CNN two ways: C (cross-entropy) or R (cross-entropy + CAM contrastive loss).

One flat loop, read top to bottom: shuffle -> steps -> validation -> probe CAMs -> log ->
early-stopping check -> checkpoint. The dataset lives on the device as one uint8 tensor and
batches are drawn from a seeded permutation (no DataLoader). One seed fixes everything: the
split (data.py), the initialisation, the batch order and the dropout masks.
"""
from __future__ import annotations

import copy
import ctypes
import json
import operator
import os
import platform
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import runinfo
from .atomic import atomic_path, write_json
from .cam import (CAM_TARGETS, CAM_WEIGHTS, forward_for_cam, grad_cam_from_outputs,
                  logits_and_cams, select_targets)
from .checkpoint import Checkpoint
from .data import NORMALIZATIONS, SUBSETS, DataBundle, Split, load_for_run, to_model_input
from .early_stopping import MONITORS, EarlyStopping
from .losses import (CLASSIFICATION_LOSSES, PAIR_LABELS, classification_loss, contrastive_loss,
                     pair_labels, total_loss)
from .models import MODELS, build_model
from . import perturb
from ..plan import layout
from ..plan.runspec import DATASETS, VARIANTS

EARLY_STOP_ON = tuple(MONITORS)                         # total | ce | accuracy
MEMORY_FORMATS = ("contiguous", "channels_last")
COMPILE_MODES = ("none", "default")                     # torch.compile mode
ADAM_IMPLS = ("auto", "foreach", "fused")               # auto: torch's pick (for-loop on CPU)
AMP = ("none", "bf16")


class ConfigError(ValueError):
    """A bad option value; the message names the option and the allowed values."""


# Every option with a fixed set of values; the config schema's enums are the same sets
# (tests/test_options.py).
CHOICES = {"variant": VARIANTS, "cam_target": CAM_TARGETS, "pair_label": PAIR_LABELS,
           "cam_weights": CAM_WEIGHTS, "early_stop_on": EARLY_STOP_ON,
           "subset": SUBSETS, "normalization": NORMALIZATIONS, "backbone": tuple(MODELS), "dataset": DATASETS,
           "classification_loss": CLASSIFICATION_LOSSES, "perturbation": perturb.PERTURBATIONS,
           "memory_format": MEMORY_FORMATS, "compile": COMPILE_MODES,
           "adam_impl": ADAM_IMPLS, "amp": AMP}


# Bounds of the numeric options, in the config schema's words (tests/test_options.py holds the
# schema's bounds to these): option value -> bound -> within?
BOUNDS = {"minimum": operator.ge, "exclusiveMinimum": operator.gt,
          "maximum": operator.le, "exclusiveMaximum": operator.lt}


def option(default, help: str, **bounds):
    """A TrainConfig field: its default, its `wrongnumber train --help` text and its bounds
    (keys of BOUNDS); the CLI's flags are generated from them."""
    assert set(bounds) <= set(BOUNDS), bounds
    return field(default=default, metadata={"help": help, "bounds": bounds})


@dataclass(frozen=True)
class TrainConfig:
    """Every option that changes a training result. Defaults = our reading of the paper."""
    dataset: str = option("mnist", "mnist | fashion")
    variant: str = option("R", "C = cross-entropy; R = CE + CAM contrastive")
    backbone: str = option("paper_cnn", "model architecture")
    seed: int = option(0, "fixes split, init, batch order, dropout")
    max_epochs: int = option(50, "upper bound on epochs", minimum=1)
    patience: int = option(2, "early-stopping patience (epochs)", minimum=1)
    batch_size: int = option(64, "not in the paper", minimum=2)
    lr: float = option(1e-3, "Adam learning rate (paper: 1e-3)", exclusiveMinimum=0)
    val_fraction: float = option(0.1, "stratified validation share of the training set",
                                 exclusiveMinimum=0, exclusiveMaximum=1)
    dropout: float = option(0.5, "dropout probability before the FC layers (not in the paper)",
                            minimum=0, exclusiveMaximum=1)
    cam_target: str = option("prediction", "class the CAM explains: label | prediction")
    pair_label: str = option("always_similar", "contrastive y: always_similar | prediction_correct")
    # detached vs differentiable: the stopping study, config/README.md
    cam_weights: str = option("detached", "Grad-CAM channel weights: detached (as hooks) | differentiable")
    margin: float = option(2.0, "contrastive margin m (Eq. 1)", minimum=0)            # not in the paper
    # lambda; the paper: L_TOT = L_CE + L_L
    contrastive_weight: float = option(1.0, "lambda in CE + lambda*L", minimum=0)
    subset: str = option("none", "reading of 'subset of 15 %': none | train | pooled | test (see data.py)")
    subset_fraction: float = option(0.15, "fraction for --subset", exclusiveMinimum=0, maximum=1)
    normalization: str = option("dataset", "input mean/std: dataset (the paper's) | mnist | mnist_at_test | "
                                           "none (slips, data.py)")
    early_stop_on: str = option("ce", "validation quantity watched: total (loss) | ce | accuracy")
    min_delta: float = option(0.001, "smallest change of the watched quantity that counts as an improvement",
                              minimum=0)
    # Training modifications of the benchmark-reliability study (Gomez & Mouchere); the
    # defaults are the paper's training.
    classification_loss: str = option("ce", "classification term: ce (the paper) | focal (Lin et al. 2017)")
    focal_gamma: float = option(2.0, "gamma of the focal loss (0 = cross-entropy)", minimum=0)  # Lin et al.'s default
    perturbation: str = option("none", "none | mask: delete a random share of the pixels of some training "
                                       "images")                                    # perturb.py
    perturbation_prob: float = option(0.5, "share of training images that --perturbation mask perturbs",
                                      minimum=0, maximum=1)
    # Speed settings (benchmarks/README.md). Every value is deterministic (same seed, same bytes);
    # the defaults are the fastest on CPU. Another value changes the floating-point summation
    # order (compile also the dropout random stream), so its results differ in the last bits at
    # first and then drift apart as training goes on.
    memory_format: str = option("channels_last", "channels_last (NHWC, fastest on CPU) | contiguous "
                                                 "(NCHW; not bit-identical)")
    compile: str = option("none", "none | default: torch.compile the model (not bit-identical; no gain "
                                  "on CPU)")                                        # trunk and head
    adam_impl: str = option("fused", "fused (one kernel) | foreach | auto (torch's choice); not "
                                     "bit-identical to each other")  # auto: a for-loop on CPU
    amp: str = option("none", "none | bf16: autocast the forward, for CUDA (not bit-identical; slow "
                              "on most CPUs)")

    def validate(self) -> "TrainConfig":
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"--{name.replace('_', '-')} must be one of {', '.join(allowed)}; "
                                  f"got {getattr(self, name)!r}")
        for f in fields(self):
            value = getattr(self, f.name)
            if not all(BOUNDS[kind](value, bound) for kind, bound in f.metadata["bounds"].items()):
                raise ConfigError(f"--{f.name.replace('_', '-')} has an invalid value "
                                  f"{value!r}; see `wrongnumber train --help`")
        if self.compile != "none" and self.variant == "R" and self.cam_weights == "differentiable":
            raise ConfigError("--compile cannot train through differentiable CAM weights (torch.compile "
                              "has no double backward); use --compile none or --cam-weights detached")
        return self


def classification_terms(logits, y, cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(the classification term of the objective, the cross-entropy that is logged); one tensor
    twice for the paper's CE, two for the focal loss (whose runs still log their CE)."""
    ce = F.cross_entropy(logits, y)
    if cfg.classification_loss == "ce":
        return ce, ce
    return classification_loss(logits, y, cfg.classification_loss, cfg.focal_gamma), ce.detach()


def step_losses(model, x, x01, y, cfg: TrainConfig):
    """Forward one batch; returns (total, ce, contrastive, nan_hit, correct) as 0-dim tensors.

    For C the contrastive term is not computed (it would cost a backward pass for nothing);
    validation measures it for both variants instead.
    """
    with torch.autocast(x.device.type, torch.bfloat16, enabled=cfg.amp == "bf16"):
        logits, feats, site = forward_for_cam(model, x)              # (B, 10), (B, 128, 7, 7), ...
    logits = logits.float()  # losses in float32 under autocast; a no-op (same tensor) otherwise
    cls, ce = classification_terms(logits, y, cfg)
    correct = (logits.detach().argmax(dim=1) == y).sum()  # running training accuracy
    if cfg.variant == "C":
        zero = ce.new_zeros(())
        return cls, ce, zero, zero.long(), correct
    cam = grad_cam_from_outputs(logits, feats, select_targets(logits, y, cfg.cam_target),
                                cfg.cam_weights, site=site)          # (B, 1, 28, 28)
    con, nan_hit = contrastive_loss(cam, x01, pair_labels(logits, y, cfg.pair_label), cfg.margin)
    return total_loss(cls, con, cfg.contrastive_weight), ce, con, nan_hit, correct


class CompiledNet(torch.nn.Module):
    """`model` with its trunk and head compiled separately (torch.compile): Grad-CAM needs
    d(score)/d(feats) through the head alone, which one graph over the whole forward would hide.
    It shares the parameters, so the optimiser and the checkpoints keep using `model`."""

    def __init__(self, model: torch.nn.Module, mode: str):
        super().__init__()
        if not (hasattr(model, "trunk") and hasattr(model, "head")):
            raise ConfigError(f"--compile needs a backbone split at its CAM layer (trunk/head); "
                              f"{type(model).__name__} is not: use --compile none")
        self.model = model  # a submodule, so train()/eval() reach it
        # R runs the head's backward twice (Grad-CAM retains the graph for loss.backward), which
        # buffers donated to the first backward forbid. Process-wide: torch also reads it at
        # backward time.
        torch._functorch.config.donated_buffer = False
        self.trunk = torch.compile(model.trunk, mode=mode, dynamic=False)
        self.head = torch.compile(model.head, mode=mode, dynamic=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.trunk(x)
        return self.head(feats), feats


def keep_freed_memory() -> None:
    """Let glibc's malloc keep freed blocks instead of handing them back to the OS.

    Every CPU step frees and re-allocates the same multi-MB activations; by default glibc
    returns them (munmap, heap trim) and the next step faults them in again, page by page:
    ~3,000 page faults and ~10 % of the CPU time of a batch-64 step of this model (measured in
    benchmarks/README.md). Only memory reuse changes, never a value. Process-wide, idempotent;
    a no-op off glibc.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3  # mallopt parameter numbers (malloc.h)
    libc.mallopt(m_mmap_threshold, 32 << 20)     # glibc's maximum: blocks < 32 MiB from the heap
    libc.mallopt(m_trim_threshold, 1 << 30)      # give the heap back only above 1 GiB free


def to_memory_format(model: torch.nn.Module, cfg: TrainConfig) -> torch.nn.Module:
    """The model in the run's memory format; NHWC lets BatchNorm and pooling vectorise over
    channels on CPU. Evaluation uses it too: the same layout, the same kernels as in training."""
    if cfg.memory_format == "channels_last":
        return model.to(memory_format=torch.channels_last)
    return model


def build_training(cfg: TrainConfig, device: torch.device):
    """(model, net, optimiser) as train() starts them; the benchmark builds them the same way.

    `net` is what the training step calls (the model, or its compiled twin); checkpoints,
    validation and probes use `model`.
    """
    if device.type == "cpu":
        keep_freed_memory()
    torch.manual_seed(cfg.seed)  # initialisation and dropout masks
    model = to_memory_format(build_model(cfg.backbone, dropout=cfg.dropout).to(device), cfg)
    impl = {"auto": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}[cfg.adam_impl]
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, **impl)
    net = model if cfg.compile == "none" else CompiledNet(model, cfg.compile)
    return model, net, opt


def train_step(model, opt, images_u8, y, spec, cfg: TrainConfig,
               perturb_gen: torch.Generator | None = None) -> torch.Tensor:
    """One optimiser step on a batch of uint8 images (B, 28, 28); the benchmark times this.

    `perturb_gen` draws the masks of `cfg.perturbation` (perturb.py); unused without one.
    Returns (total*B, ce*B, contrastive*B, nan_hit, correct) as a float64 (5,) tensor on the
    device, so the caller can sum it without a host sync.
    """
    images_u8 = perturb.perturb(images_u8, cfg.perturbation, cfg.perturbation_prob, perturb_gen)
    x, x01 = to_model_input(images_u8, spec)                         # (B, 1, 28, 28) each
    loss, ce, con, nan_hit, correct = step_losses(model, x, x01, y, cfg)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    b = len(y)
    return torch.stack([loss.detach() * b, ce.detach() * b, con.detach() * b,
                        nan_hit.to(loss.dtype), correct.to(loss.dtype)]).double()


def validation_pass(model, split: Split, spec, cfg: TrainConfig, batch_size: int = 1000) -> dict:
    """Validation losses (both terms, for either variant) and accuracy; model in eval mode."""
    model.eval()
    n = len(split.labels)
    sums = torch.zeros(5, dtype=torch.float64, device=split.labels.device)  # ce, con, correct, nan, cls
    for i in range(0, n, batch_size):
        x, x01 = to_model_input(split.images[i:i + batch_size], spec)
        y = split.labels[i:i + batch_size]
        logits, cam = logits_and_cams(model, x, y, cfg.cam_target)  # one forward, both detached
        con, nan_hit = contrastive_loss(cam, x01, pair_labels(logits, y, cfg.pair_label), cfg.margin)
        cls, ce = classification_terms(logits, y, cfg)
        correct = (logits.argmax(1) == y).sum()
        sums += torch.stack([ce * len(y), con * len(y), correct.to(ce.dtype),
                             nan_hit.to(ce.dtype), cls * len(y)]).double()
    ce, con, correct, nan, cls = (sums / torch.tensor([n, n, n, 1.0, n], dtype=torch.float64,
                                                      device=sums.device)).tolist()
    total = total_loss(cls, con, cfg.contrastive_weight) if cfg.variant == "R" else cls
    row = {"val_loss": total, "val_ce": ce, "val_contrastive": con, "val_accuracy": correct,
           "val_nan_guard_hits": int(nan)}
    if cfg.classification_loss != "ce":
        row[f"val_{cfg.classification_loss}"] = cls
    return row


def probe_cams(model, probes: Split, spec, cfg: TrainConfig) -> np.ndarray:
    """CAMs of the fixed probe images (10, 28, 28), model in eval mode (what the figures show)."""
    model.eval()
    x, _ = to_model_input(probes.images, spec)
    _, cams = logits_and_cams(model, x, probes.labels, cfg.cam_target)
    return cams[:, 0].cpu().numpy().astype(np.float32)


def clock(device: torch.device) -> float:
    """perf_counter after the device's queued kernels finish (a CUDA sync point: one per phase)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def train(cfg: TrainConfig, data: DataBundle, out_dir: str | Path, device: torch.device,
          resume: bool = False, log=print, keep_epoch_states: bool = False) -> dict:
    """Train, write the run folder (see docs/outputs.md) and return the metrics dict.

    `keep_epoch_states` also writes every epoch's weights (`epoch_states.pt`, ~1.6 MB an epoch
    for the paper's CNN), from which `restop` derives the run another early-stopping rule gives.
    """
    cfg.validate()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / layout.METRICS).unlink(missing_ok=True)  # a rerun must not look finished early
    ckpt_path = out / layout.CHECKPOINT
    if device.type == "cuda":
        # warn_only: bilinear upsampling's backward (R's CAM) has no deterministic CUDA kernel,
        # so CUDA runs are repeatable only up to it (plan/numerics.py: designed, not claimed)
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False

    model, net, opt = build_training(cfg, device)
    order = torch.Generator().manual_seed(cfg.seed)  # batch order, on the CPU on every device
    perturb_gen = perturb.generator(cfg.seed)  # used only by --perturbation mask
    history, epoch_seconds, phases, cams, kept = [], [], [], [], {}
    rule = EarlyStopping(cfg.early_stop_on, cfg.patience, cfg.min_delta)
    best_state, start = None, 1

    if resume and ckpt_path.exists():
        ck = Checkpoint.load(ckpt_path, device)
        if ck.config != asdict(cfg):
            now, then = asdict(cfg), ck.config
            differ = sorted(k for k in set(now) | set(then) if now.get(k, "absent") != then.get(k, "absent"))
            raise ConfigError(f"{ckpt_path} was written with other options ({', '.join(differ)} differ, "
                              "e.g. by an older wrongnumber); rerun without --resume or delete the run folder")
        ck.restore(model, opt, order, perturb_gen, device)
        history, epoch_seconds, phases, cams = ck.history, ck.epoch_seconds, ck.epoch_phases, ck.cams
        rule, best_state, kept = EarlyStopping(**ck.early_stopping), ck.best_state, ck.kept
        start = ck.epoch + 1
        log(f"resuming {out} after epoch {ck.epoch}")

    spec, train_split = data.spec, data.train
    n = len(train_split.labels)
    for epoch in range(start, cfg.max_epochs + 1):
        if rule.stop:
            break
        t0 = clock(device)
        model.train()
        perm = torch.randperm(n, generator=order).to(device)
        # Running sums stay on the device: no host sync inside the step.
        sums = torch.zeros(5, dtype=torch.float64, device=device)  # total, ce, con, nan, correct
        seen = 0
        for i in range(0, n, cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            if len(idx) < 2:  # BatchNorm cannot train on a single image; drop that remainder
                break
            sums += train_step(net, opt, train_split.images[idx], train_split.labels[idx],
                               spec, cfg, perturb_gen)
            seen += len(idx)
        t1 = clock(device)
        val = validation_pass(model, data.val, spec, cfg)
        t2 = clock(device)
        cams.append(probe_cams(model, data.probes, spec, cfg))
        t3 = clock(device)
        epoch_seconds.append(t3 - t0)
        phases.append({"train": t1 - t0, "validate": t2 - t1, "probes": t3 - t2})

        total, ce, con, nan, correct = sums.tolist()
        row = {"epoch": epoch, "train_loss": total / seen, "train_ce": ce / seen,
               "train_contrastive": con / seen, "train_accuracy": correct / seen,
               "nan_guard_hits": int(nan), **val}
        history.append(row)
        if rule.update(epoch, row):
            best_state = copy.deepcopy(model.state_dict())
        if keep_epoch_states:  # for `wrongnumber restop`: any rule that stops by now, exactly
            kept[epoch] = copy.deepcopy(model.state_dict())
        guard = f"  NaN guard zeroed {int(nan)} batches" if nan else ""
        log(f"epoch {epoch:3d}  loss {row['train_loss']:.4f} (ce {row['train_ce']:.4f} "
            f"con {row['train_contrastive']:.4f})  val_loss {row['val_loss']:.4f}  "
            f"val_acc {100 * row['val_accuracy']:.2f}%  {epoch_seconds[-1]:.1f}s{guard}")

        Checkpoint.capture(cfg, epoch, model, opt, order, perturb_gen, device, history, epoch_seconds,
                           phases, cams, rule, best_state, kept).save(ckpt_path)

    model.load_state_dict(best_state)  # early stopping restores the best weights
    if keep_epoch_states:
        torch.save(kept, out / layout.EPOCH_STATES)
    return write_run(out, cfg, data, model, history, epoch_seconds, phases, cams, rule.best_epoch,
                     rule.stop, device)


def write_run(out: Path, cfg, data, model, history, epoch_seconds, phases, cams, best_epoch,
              stopped_early, device, threads: int | None = None, numerics: dict | None = None) -> dict:
    """Write model, probes and timings, then metrics.json last: its presence marks completion."""
    # The config through a JSON round trip: pickle writes a string shared by two fields once, so
    # without it the bytes would depend on which equal strings are one object, not only on values.
    config = json.loads(json.dumps(asdict(cfg)))
    torch.save({"config": config, "state_dict": model.state_dict()}, out / layout.MODEL)
    with atomic_path(out / layout.PROBES) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, images=data.probes.images.cpu().numpy(),
                            labels=data.probes.labels.cpu().numpy(),
                            indices=data.probes.indices.cpu().numpy(),
                            cams=np.stack(cams), epochs=np.arange(1, len(cams) + 1))
    write_json(out / layout.TIMINGS, {
        "device": device.type, "device_name": runinfo.device_name(device), "cpu": runinfo.cpu_model(),
        "in_container": runinfo.in_container(), "container": runinfo.container(),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"), "epoch_seconds": epoch_seconds,
        "epoch_phases": phases,
        "total_seconds": sum(epoch_seconds), "images_per_epoch": len(data.train.labels)})
    # CPU results depend on the thread count (kernels split their sums across threads), so it
    # is part of what made them: the same seed, config and threads give the same bytes.
    metrics = {"config": asdict(cfg), "seed": cfg.seed, "versions": runinfo.versions(),
               "device": device.type, "threads": threads or torch.get_num_threads(),
               "numerics": numerics or runinfo.numerics(device), "git_commit": runinfo.git_commit(), "data": data.provenance,
               "n_params": sum(p.numel() for p in model.parameters()), "history": history,
               "best_epoch": best_epoch, "stopped_epoch": history[-1]["epoch"],
               "stopped_early": stopped_early}
    write_json(out / layout.METRICS, metrics)
    return metrics


def load_run(run: str | Path, device: torch.device, data_dir=None, download_root=None) -> tuple:
    """(metrics, config, data, model) of a finished run folder, on the data it was trained with
    unless `data_dir`/`download_root` say otherwise; the model holds model.pt's weights."""
    run = Path(run)
    if not (run / layout.METRICS).exists() or not (run / layout.MODEL).exists():
        raise FileNotFoundError(f"{run} is not a finished training run (metrics.json and model.pt "
                                f"are written last); run `wrongnumber train --out {run}` first")
    metrics = json.loads((run / layout.METRICS).read_text())
    cfg = TrainConfig(**metrics["config"])
    data = load_for_run(cfg, metrics["data"], device, data_dir, download_root)
    model = to_memory_format(build_model(cfg.backbone, dropout=cfg.dropout).to(device), cfg)
    model.load_state_dict(torch.load(run / layout.MODEL, map_location=device)["state_dict"])
    return metrics, cfg, data, model
