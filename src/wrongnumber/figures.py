"""The paper's Figures 1-8 and the training curves, from run and evaluation folders.

Layout as in the paper: the CAM ("reconstructed map") on the left, the input on the right.
Figures 1-6 show a probe (the first training image of a class) after a given epoch, read from
RUN/probes.npz; Figures 7-8 a test-set failure case from EVAL/failures.npz. Which run, epoch
and image each figure shows is decided by `paper/reported.yaml` (`figures:`) and the rules in
`resolve_epoch`; the lowest seed of each (dataset, variant) is the one drawn.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the non-interactive backend)
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .data import DATASETS  # noqa: E402

DISPLAY = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}
VARIANT_STYLE = {"R": "tab:red", "C": "tab:blue"}


def resolve_epoch(rule, epochs: np.ndarray) -> tuple[int, str]:
    """'first' -> 1; 'last' -> the last epoch run; an int n -> min(n, last). Returns (epoch, rule)."""
    last = int(epochs[-1])
    if rule == "first":
        return int(epochs[0]), "epoch 1"
    if rule == "last":
        return last, f"the last epoch run ({last})"
    return min(int(rule), last), f"epoch min({rule}, last epoch run = {last})"


def pair_figure(cam: np.ndarray, image: np.ndarray, cam_title: str, image_title: str, title: str):
    """Two panels: CAM in [0, 1] (jet, with a colour bar) left, the uint8 input (grey) right."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(5.6, 3.0), layout="constrained")
    im = left.imshow(cam, cmap="jet", vmin=0, vmax=1, interpolation="nearest")
    right.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    left.set_title(cam_title, fontsize=9)
    right.set_title(image_title, fontsize=9)
    for ax in (left, right):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=left, fraction=0.046, pad=0.04)
    fig.suptitle(title, fontsize=10)
    return fig


def probe_figure(run, spec: dict, label: str):
    """A probe's CAM after the epoch the figure asks for; returns (figure, caption)."""
    with np.load(run.probes) as p:
        k = int(np.flatnonzero(p["labels"] == spec["class"])[0])
        epoch, rule = resolve_epoch(spec["epoch"], p["epochs"])
        e = int(np.flatnonzero(p["epochs"] == epoch)[0])
        cam, image, index = p["cams"][e, k], p["images"][k], int(p["indices"][k])
    name = DATASETS[run.dataset].classes[spec["class"]]
    fig = pair_figure(cam, image, f"CAM, epoch {epoch}", f"input: {name}",
                      f"{label}: {DISPLAY[run.dataset]}{run.variant}, seed {run.seed}")
    caption = (f"{DISPLAY[run.dataset]} {run.variant} model, seed {run.seed}: Grad-CAM (left, "
               f"target: {run.metrics['config']['cam_target']}) of the probe '{name}' - the first "
               f"training image of class {spec['class']}, training-file index {index} - after "
               f"{rule}, model in eval mode; the input on the right.")
    return fig, caption


def failure_figure(run, spec: dict, label: str):
    """The evaluation's failure case of one class; says so in the figure when there is none."""
    c = spec["class"]
    with np.load(run.failures) as f:
        index, cam, image = int(f["indices"][c]), f["cams"][c], f["images"][c]
        pred, conf = int(f["predictions"][c]), float(f["confidences"][c])
    rule = run.eval["failure_rule"]
    title = f"{label}: {DISPLAY[run.dataset]}{run.variant}, seed {run.seed}"
    if index < 0:
        fig, ax = plt.subplots(figsize=(5.6, 3.0))
        ax.axis("off")
        ax.text(0.5, 0.5, f"no test image of class {c} is a failure case\nunder the rule below",
                ha="center", va="center")
        fig.suptitle(title, fontsize=10)
        return fig, f"{title}: no failure case of class {c}. Rule: {rule}."
    fig = pair_figure(cam, image, f"CAM (predicted {pred})", f"input: {c}, confidence {conf:.3f}", title)
    caption = (f"{DISPLAY[run.dataset]} {run.variant} model, seed {run.seed}: test image {index} "
               f"(label {c}) predicted as {pred} with max-softmax {conf:.3f}; Grad-CAM (left, "
               f"target: {run.eval['cam_target']}) and input (right). Picked by the rule: {rule} "
               f"(threshold {run.eval['low_confidence_threshold']:g}).")
    return fig, caption


def curves_figure(runs: list, dataset: str):
    """Per-epoch training/validation loss, cross-entropy and validation accuracy, every run."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), layout="constrained")
    for run in runs:
        h = run.metrics["history"]
        ep = [r["epoch"] for r in h]
        col, lab = VARIANT_STYLE[run.variant], f"{run.variant} seed {run.seed}"
        for ax, key in ((axes[0], "loss"), (axes[1], "ce")):
            ax.plot(ep, [r[f"train_{key}"] for r in h], "-", color=col, label=f"{lab} train")
            ax.plot(ep, [r[f"val_{key}"] for r in h], "--", color=col, label=f"{lab} val")
        axes[2].plot(ep, [100 * r["val_accuracy"] for r in h], "-o", ms=3, color=col, label=lab)
        best = run.metrics["best_epoch"]
        axes[2].plot([best], [100 * h[best - 1]["val_accuracy"]], "*", ms=11, color=col)
    for ax, t in zip(axes, ("total loss (R: CE + contrastive)", "cross-entropy",
                            "validation accuracy % (star: restored epoch)")):
        ax.set_title(t, fontsize=9)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{DISPLAY[dataset]}: training curves", fontsize=10)
    caption = (f"{DISPLAY[dataset]}: per-epoch losses on the training batches (solid, train mode) "
               "and the validation split (dashed), and validation accuracy; runs: "
               + ", ".join(f"{r.variant} seed {r.seed} ({len(r.metrics['history'])} epochs)" for r in runs) + ".")
    return fig, caption


def save(fig, stem: Path) -> list[Path]:
    """PNG and PDF without timestamps (same bytes on every run), each via a temp file + rename."""
    paths = []
    for ext, meta in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None})):
        path = stem.with_suffix(f".{ext}")
        tmp = path.with_name(f"{path.stem}.tmp.{ext}")
        fig.savefig(tmp, format=ext, dpi=150, metadata=meta)
        os.replace(tmp, path)
        paths.append(path)
    plt.close(fig)
    return paths


def make_figures(runs: list, figure_specs: dict, out_dir: str | Path) -> list[dict]:
    """Draw every paper figure and the curves; write figures.json (the manifest); return it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    first = {}
    for r in runs:  # runs arrive sorted by dataset, variant, seed
        first.setdefault((r.dataset, r.variant), r)
    manifest = []
    for fig_id, spec in figure_specs.items():
        run = first.get((spec["dataset"], spec["variant"]))
        if run is None:
            raise ValueError(f"{fig_id} needs a {spec['dataset']}/{spec['variant']} run; none was given")
        draw = probe_figure if spec["kind"] == "probe" else failure_figure
        fig, caption = draw(run, spec, f"Figure {fig_id.removeprefix('fig')}")
        files = save(fig, out / fig_id)
        manifest.append({"id": fig_id, "paper_caption": spec["caption"], "caption": caption,
                         "files": [str(p) for p in files]})
    for dataset in sorted({r.dataset for r in runs}):
        fig, caption = curves_figure([r for r in runs if r.dataset == dataset], dataset)
        files = save(fig, out / f"curves_{dataset}")
        manifest.append({"id": f"curves_{dataset}", "paper_caption": "(not in the paper)",
                         "caption": caption, "files": [str(p) for p in files]})
    tmp = out / "figures.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, out / "figures.json")
    return manifest
