"""The paper's Figures 1-8, the comparisons they imply, and the training curves, from run and
evaluation folders.

Layout as in the paper: the CAM ("reconstructed map") on the left, the input on the right.
Figures 1-6 show a probe (the first training image of a class) after a given epoch, read from
RUN/probes.npz; Figures 7-8 a test-set failure case from EVAL/failures.npz. Which run, epoch
and image each figure shows is decided by `paper/reported.yaml` (`figures:`) and the rules in
`resolve_epoch`; the lowest seed of each (dataset, variant) is the one drawn. Each CAM figure
carries its CAM quality (energy in the digit, SSIM to the input) and, where it departs from
the paper's caption, a `deviation`. Beyond the paper's own: R beside C at the same epochs, an
epoch strip of each probe, and the low-confidence sweep against the paper's counts.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the non-interactive backend)
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ..core.atomic import atomic_path, write_json  # noqa: E402
from ..analysis.claims import CAM_MEASURES, LATE_EPOCH  # noqa: E402
from ..core.data import DATASET_SPECS  # noqa: E402
from ..analysis.evidence import probe_quality  # noqa: E402
from ..analysis.provenance import load_runs  # noqa: E402
from ..analysis.comparison import load_reported  # noqa: E402

DISPLAY = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}
VARIANT_STYLE = {"R": "tab:red", "C": "tab:blue"}
SCALING = ("Each map is min-max scaled to [0, 1] on its own (jet colours), so colours compare "
           "shapes within a map, not strengths between maps.")
# The paper's probes: the digit five, the ankle boot ("a shoe"); the classes of paper/reported.yaml's
# probe figures (tests/test_report.py holds them together)
PROBE_CLASS = {"mnist": 5, "fashion": 9}
STRIP_COLUMNS = 12  # at most this many epochs in a strip (evenly spaced, first and last kept)


def quality_text(cam: np.ndarray, image: np.ndarray, short: bool = False) -> str:
    """The map's CAM quality against its image: 'energy in the digit 0.62, SSIM to the input 0.21'."""
    q = {m: float(v[0, 0]) for m, v in probe_quality(cam[None, None], image[None]).items()}
    if short:
        return f"E {q['energy_in_mask']:.2f}  S {q['ssim']:.2f}"
    return ", ".join(f"{CAM_MEASURES[m]} {q[m]:.2f}" for m in CAM_MEASURES)


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
    """A probe's CAM after the epoch the figure asks for; returns (figure, manifest fields)."""
    with np.load(run.probes) as p:
        k = int(np.flatnonzero(p["labels"] == spec["class"])[0])
        epoch, rule = resolve_epoch(spec["epoch"], p["epochs"])
        e = int(np.flatnonzero(p["epochs"] == epoch)[0])
        cam, image, index = p["cams"][e, k], p["images"][k], int(p["indices"][k])
    name = DATASET_SPECS[run.dataset].classes[spec["class"]]
    fig = pair_figure(cam, image, f"CAM, epoch {epoch}", f"input: {name}",
                      f"{label}: {DISPLAY[run.dataset]}{run.variant}, seed {run.seed}")
    caption = (f"{DISPLAY[run.dataset]} {run.variant} model, seed {run.seed}: Grad-CAM (left, "
               f"target: {run.metrics['config']['cam_target']}) of the probe '{name}' - the first "
               f"training image of class {spec['class']}, training-file index {index} - after "
               f"{rule}, model in eval mode; the input on the right. {SCALING}")
    out = {"caption": caption, "quality": quality_text(cam, image)}
    deviation = spec.get("deviation") or (isinstance(spec["epoch"], int) and epoch != spec["epoch"]
                                          and f"epoch {epoch}, not {spec['epoch']}: the run stopped at epoch {epoch}")
    return fig, out | ({"deviation": deviation} if deviation else {})


def failure_figure(run, spec: dict, label: str):
    """The evaluation's failure case of one class; says so in the figure when there is none."""
    c = spec["class"]
    with np.load(run.failures) as f:
        index, cam, image = int(f["indices"][c]), f["cams"][c], f["images"][c]
        pred, conf = int(f["predictions"][c]), float(f["confidences"][c])
    rule = run.eval["failure_rule"]
    best, last = run.metrics["best_epoch"], run.metrics["stopped_epoch"]
    checkpoint = f"the model restored from epoch {best} (the best validation loss of {last} epochs run)"
    title = f"{label}: {DISPLAY[run.dataset]}{run.variant}, seed {run.seed}, epoch {best}"
    if index < 0:
        fig, ax = plt.subplots(figsize=(5.6, 3.0))
        ax.axis("off")
        ax.text(0.5, 0.5, f"no test image of class {c} is a failure case\nunder the rule below",
                ha="center", va="center")
        fig.suptitle(title, fontsize=10)
        return fig, {"caption": f"{title}: no failure case of class {c} for {checkpoint}. Rule: {rule}.",
                     "quality": "no map", "deviation": f"no failure case of class {c}"}
    fig = pair_figure(cam, image, f"CAM (predicted {pred})", f"input: {c}, confidence {conf:.3f}", title)
    caption = (f"{DISPLAY[run.dataset]} {run.variant} model, seed {run.seed}, {checkpoint}: test image "
               f"{index} (label {c}) predicted as {pred} with max-softmax {conf:.3f}; Grad-CAM (left, "
               f"target: {run.eval['cam_target']}) and input (right). Picked by the rule: {rule} "
               f"(threshold {run.eval['low_confidence_threshold']:g}). {SCALING}")
    return fig, {"caption": caption, "quality": quality_text(cam, image)}


def _probe(run, cls: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(epochs (E,), CAMs (E, 28, 28), image (28, 28)) of one probe class of a run."""
    with np.load(run.probes) as p:
        k = int(np.flatnonzero(p["labels"] == cls)[0])
        return p["epochs"].copy(), p["cams"][:, k].copy(), p["images"][k].copy()


def _cam_grid(rows: list[tuple[str, np.ndarray, np.ndarray]], epochs: list[int], image: np.ndarray, title: str):
    """One row per (label, epochs run, CAMs); the input first, then each epoch's map with its
    CAM quality under it (E: energy in the digit, S: SSIM to the input)."""
    n = len(epochs) + 1
    width, height = max(1.15 * n + 0.4, 4.6), 1.55 * len(rows) + 0.5
    fig, axes = plt.subplots(len(rows), n, figsize=(width, height), squeeze=False)
    # fixed margins, not constrained layout: it costs seconds per figure for a grid of this size
    fig.subplots_adjust(left=0.35 / width, right=1 - 0.05 / width, bottom=0.3 / height, top=1 - 0.55 / height,
                        wspace=0.08, hspace=0.45)
    for i, (label, ep, cams) in enumerate(rows):
        axes[i, 0].imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        axes[i, 0].set_ylabel(label, fontsize=9)
        for j, e in enumerate(epochs, start=1):
            ax = axes[i, j]
            if e in ep:
                cam = cams[list(ep).index(e)]
                ax.imshow(cam, cmap="jet", vmin=0, vmax=1, interpolation="nearest")
                ax.set_xlabel(quality_text(cam, image, short=True), fontsize=6.5)
            ax.set_title(f"epoch {e}", fontsize=8)
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title("input", fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig


def compare_figure(r_run, c_run):
    """Figures 1-4 side by side: R and C on the MNIST five at epoch 1 and epoch min(9, last)."""
    five = PROBE_CLASS["mnist"]
    (er, cr, image), (ec, cc, _) = _probe(r_run, five), _probe(c_run, five)
    late = min(LATE_EPOCH, int(er[-1]), int(ec[-1]))
    epochs = sorted({1, late})
    fig = _cam_grid([(f"R seed {r_run.seed}", er, cr), (f"C seed {c_run.seed}", ec, cc)], epochs, image,
                    "MNIST five: R beside C (Figures 1-4)")
    caption = (f"The paper's Figures 1-4 as one comparison: the MNIST probe five (class {five}) for R (top) and C "
               f"(bottom) after epoch {' and '.join(map(str, epochs))} (the paper: 1 and {LATE_EPOCH}; epoch {late} is "
               f"min({LATE_EPOCH}, the last epoch both ran)). Under each map: E = energy in the digit, S = SSIM to the "
               f"input (higher = closer to the digit). {SCALING}")
    return fig, {"caption": caption} | (
        {"deviation": f"epoch {late}, not {LATE_EPOCH}: the runs stopped earlier"} if late != LATE_EPOCH else {})


def strip_figure(r_run, c_run, dataset: str):
    """Every epoch's map of the dataset's probe (the five, the ankle boot) for R and C."""
    cls = PROBE_CLASS[dataset]
    (er, cr, image), (ec, cc, _) = _probe(r_run, cls), _probe(c_run, cls)
    last = int(max(er[-1], ec[-1]))
    epochs = sorted({int(round(x)) for x in np.linspace(1, last, min(last, STRIP_COLUMNS))})
    name = DATASET_SPECS[dataset].classes[cls]
    fig = _cam_grid([(f"R seed {r_run.seed}", er, cr), (f"C seed {c_run.seed}", ec, cc)], epochs, image,
                    f"{DISPLAY[dataset]} '{name}': every epoch")
    caption = (f"{DISPLAY[dataset]}: the CAM of the probe '{name}' (class {cls}, the paper's "
               f"{'Figures 1-4' if dataset == 'mnist' else 'Figures 5-6'} image) after epochs "
               f"{', '.join(map(str, epochs))}, R (top) and C (bottom), lowest seed; a blank cell: that "
               f"run had stopped. E = energy in the digit, S = SSIM to the input. {SCALING}")
    return fig, {"caption": caption}


def sweep_figure(runs: list, paper: dict):
    """True-low-confidence count against the threshold (MNIST, per 10,000 test images, seed
    mean), with the paper's counts and the configured threshold marked."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
    threshold = None
    for v in ("R", "C"):
        rs = [r for r in runs if r.dataset == "mnist" and r.variant == v]
        ts = list(rs[0].eval["low_confidence_sweep"])
        ys = [np.mean([1e4 * r.eval["low_confidence_sweep"][t] / r.eval["n_test"] for r in rs]) for t in ts]
        ax.plot([float(t) for t in ts], ys, "-o", ms=2.5, color=VARIANT_STYLE[v], label=f"{v} (ours, {len(rs)} seed(s))")
        ax.axhline(paper[v], ls="--", color=VARIANT_STYLE[v], lw=1, label=f"{v}: the paper's {paper[v]:g}")
        threshold = rs[0].eval["low_confidence_threshold"]
    ax.axvline(threshold, ls=":", color="grey", lw=1, label=f"threshold used: {threshold:g}")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("low-confidence threshold (max softmax below it)")
    ax.set_ylabel("true low confidence per 10,000")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.suptitle("MNIST: correct predictions below each threshold", fontsize=10)
    caption = ("True low confidence (correct predictions whose max softmax is below the threshold) per 10,000 "
               f"test images, mean over seeds, for every threshold of the sweep; dashed: the paper's {paper['R']:g} (R) and "
               f"{paper['C']:g} (C), whose threshold it does not state; dotted: the threshold of Table 1's row. "
               "Symmetric-log y axis (linear below 10).")
    return fig, {"caption": caption}


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
    return fig, {"caption": caption}


def save(fig, stem: Path) -> list[Path]:
    """PNG and PDF without timestamps (same bytes on every run), each via a temp file + rename."""
    paths = []
    for ext, meta in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None})):
        path = stem.with_suffix(f".{ext}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, dpi=150, metadata=meta)
        paths.append(path)
    plt.close(fig)
    return paths


def make_figures(runs: list, figure_specs: dict, out_dir: str | Path, paper_low_confidence: dict | None = None) -> list[dict]:
    """Draw every paper figure, the R-beside-C comparisons, the low-confidence sweep (when the
    paper's counts are given) and the curves; write figures.json (the manifest); return it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    first = {}
    for r in runs:  # runs arrive sorted by dataset, variant, seed
        first.setdefault((r.dataset, r.variant), r)
    manifest = []

    def add(fig_id: str, paper_caption: str, drawn) -> None:
        fig, fields = drawn
        manifest.append({"id": fig_id, "paper_caption": paper_caption, **fields,
                         "files": [str(p) for p in save(fig, out / fig_id)]})

    for fig_id, spec in figure_specs.items():
        run = first.get((spec["dataset"], spec["variant"]))
        if run is None:
            raise ValueError(f"{fig_id} needs a {spec['dataset']}/{spec['variant']} run; none was given")
        draw = probe_figure if spec["kind"] == "probe" else failure_figure
        add(fig_id, spec["caption"], draw(run, spec, f"Figure {fig_id.removeprefix('fig')}"))
    pairs = {d: (first.get((d, "R")), first.get((d, "C"))) for d in DISPLAY}
    if all(pairs["mnist"]):
        add("compare_mnist", "Figures 1-4 (R at epochs 1 and 9, C)", compare_figure(*pairs["mnist"]))
    for dataset, (r, c) in pairs.items():
        if r and c:
            add(f"strip_{dataset}", "(not in the paper)", strip_figure(r, c, dataset))
    if paper_low_confidence and all(pairs["mnist"]):
        add("low_confidence_sweep", f"Table 1, row 'True Low confidence' ({paper_low_confidence['R']:g} / "
            f"{paper_low_confidence['C']:g}, threshold not stated)",
            sweep_figure(runs, paper_low_confidence))
    for dataset in sorted({r.dataset for r in runs}):
        add(f"curves_{dataset}", "(not in the paper)", curves_figure([r for r in runs if r.dataset == dataset], dataset))
    write_json(out / "figures.json", manifest, sort_keys=False)
    return manifest


def make_figures_from_files(run_dirs: list[str], eval_dirs: list[str], reported: str | Path,
                            out_dir: str | Path) -> list[dict]:
    """make_figures on the finished runs, with the paper's figure specs and low-confidence counts."""
    reported = load_reported(reported)
    paper_counts = {v: reported["numbers"][f"table1.{v}.true_low_confidence"]["value"] for v in ("R", "C")}
    return make_figures(load_runs(run_dirs, eval_dirs), reported["figures"], out_dir, paper_counts)
