"""Figures of the studies beyond the paper: the explanation study's methods x images grid, the
extension's accuracy-vs-CAM-quality plot and its CAM snapshots per backbone."""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the non-interactive backend)
import numpy as np  # noqa: E402


def save(fig, path: Path) -> list[Path]:
    """PNG and PDF beside each other, each written to a temporary name and renamed."""
    paths = []
    for ext in ("png", "pdf"):
        final = path.with_suffix(f".{ext}")
        tmp = final.with_name(final.stem + ".tmp." + ext)
        fig.savefig(tmp, dpi=110, metadata={"CreationDate": None} if ext == "pdf" else {"Software": None})
        os.replace(tmp, final)
        paths.append(final)
    plt.close(fig)
    return paths


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
