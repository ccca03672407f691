"""Figures of the studies beyond the paper: the explanation study's methods x images grid, the
extension's accuracy-vs-CAM-quality plot and its CAM snapshots per backbone."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .figures import VARIANT_STYLE, plt, save  # matplotlib on its non-interactive backend; deterministic files


def methods_grid(maps_npz: Path, title: str, out: Path) -> list[Path]:
    """Rows: the fixed test images; columns: the input, then every method's map (jet, [0, 1])."""
    with np.load(maps_npz) as m:
        images, labels, methods, maps = m["images"], m["labels"], [str(x) for x in m["methods"]], m["maps"]
    k = len(images)
    fig, axes = plt.subplots(k, len(methods) + 1, figsize=(1.15 * (len(methods) + 1), 1.2 * k + 0.5),
                             squeeze=False, layout="constrained")
    for i in range(k):
        axes[i, 0].imshow(images[i], cmap="gray", vmin=0, vmax=255)
        axes[i, 0].set_ylabel(f"label {int(labels[i])}", fontsize=8)
        for j in range(len(methods)):
            axes[i, j + 1].imshow(maps[j, i], cmap="jet", vmin=0, vmax=1, interpolation="nearest")
    for j, name in enumerate(["input"] + methods):
        axes[0, j].set_title(name, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=9)
    return save(fig, out)


MARKERS = "osD^v<>P*X"


def accuracy_vs_cam(cells: list[dict], measures: list[str], out: Path) -> list[Path]:
    """Test accuracy against each CAM-quality measure: one point per (backbone, variant), the
    seed mean with sd bars on both axes; a panel per (dataset, measure)."""
    datasets = sorted({c["dataset"] for c in cells})
    backbones = sorted({c["backbone"] for c in cells})
    fig, axes = plt.subplots(len(datasets), len(measures), figsize=(4.2 * len(measures), 3.4 * len(datasets)),
                             squeeze=False, layout="constrained")
    for i, d in enumerate(datasets):
        for j, m in enumerate(measures):
            ax = axes[i, j]
            for c in (c for c in cells if c["dataset"] == d):
                x, y = c["summary"][m], c["summary"]["accuracy"]
                ax.errorbar(x["mean"], y["mean"], xerr=np.nan_to_num(x["sd"]), yerr=np.nan_to_num(y["sd"]),
                            fmt=MARKERS[backbones.index(c["backbone"]) % len(MARKERS)], ms=6, capsize=2,
                            color=VARIANT_STYLE.get(c["variant"], "k"),
                            label=f"{c['backbone']} {c['variant']} (n={x['n']})")
            ax.set_xlabel(m.replace("_", " "))
            ax.set_ylabel(f"{d} test accuracy %")
            ax.grid(alpha=0.3)
        axes[i, -1].legend(fontsize=6, loc="best")
    fig.suptitle("Accuracy vs CAM quality (mean ± sd over seeds)", fontsize=10)
    return save(fig, out)


def snapshots(rows: list[tuple[str, dict]], dataset: str, class_index: int, out: Path) -> list[Path]:
    """Per backbone (rows): the probe of `class_index` and its CAM after the last epoch under
    each variant; `rows` = [(backbone, {variant: probes.npz path})]."""
    variants = sorted({v for _, d in rows for v in d})
    fig, axes = plt.subplots(len(rows), len(variants) + 1, figsize=(1.7 * (len(variants) + 1) + 1, 1.7 * len(rows)),
                             squeeze=False, layout="constrained")
    for i, (backbone, files) in enumerate(rows):
        for j, v in enumerate(variants, 1):
            ax = axes[i, j]
            if v in files:
                with np.load(files[v]) as p:
                    k = int(np.flatnonzero(p["labels"] == class_index)[0])
                    image, cam, last = p["images"][k], p["cams"][-1, k], int(p["epochs"][-1])
                ax.imshow(cam, cmap="jet", vmin=0, vmax=1, interpolation="nearest")
                ax.set_title(f"{v}, epoch {last}", fontsize=7)
                axes[i, 0].imshow(image, cmap="gray", vmin=0, vmax=255)
        axes[i, 0].set_ylabel(backbone, fontsize=7)
    axes[0, 0].set_title("probe", fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{dataset}: Grad-CAM of the class-{class_index} probe per backbone (lowest seed)", fontsize=9)
    return save(fig, out)


def readings_distances(entries: list[dict], out: Path) -> list[Path]:
    """Per reading (ranked, best on top): its largest difference from the paper (distance) and
    the same over its own runs, in percentage points."""
    names = [e["name"] + (" (default)" if e["is_default"] else "") for e in entries]
    y = np.arange(len(entries))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(entries) + 1.2), layout="constrained")
    ax.barh(y + 0.2, [e["distance"] for e in entries], 0.4, color="tab:grey", label="distance (all quantities)")
    ax.barh(y - 0.2, [e["own_distance"] for e in entries], 0.4, color="tab:red", label="own distance (the reading's runs)")
    ax.set_yticks(y, names, fontsize=7)
    ax.set_xlabel("largest |seed mean - paper| (percentage points)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    ax.set_title("Readings ranked by distance to the paper's numbers", fontsize=9)
    return save(fig, out)
