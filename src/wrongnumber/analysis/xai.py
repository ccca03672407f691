"""Beyond the paper II: the CAM method family, explanation metrics and benchmark reliability, scored.

Every run of plan/xai.py is scored (`score_folder`): every CAM method of core/cam_methods.py on
the same test images by every metric of core/explain_metrics.py. `summarise` then gives, per
training variant, the method x metric means and Krippendorff's alpha (reliability.py): how
consistently the images rank the methods; artifacts/xai.py presents it.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..core import runinfo
from ..core.atomic import atomic_path, write_json
from ..core.cam import select_targets
from ..core.cam_methods import cam_maps
from ..core.data import to_model_input
from ..core.explain_metrics import METRICS, evaluate_methods
from ..core.train import load_run
from ..plan import layout
from ..plan.xai import Settings, expand
from .questions import xai_questions
from .reliability import bootstrap_mean_alpha, krippendorff_alpha_of_rankings
from .stats import paired_across_seeds, summarize


# ---- one trained run: every method scored by every metric on the same test images ----

def score_run(model, test, spec, options: dict, qualitative: list[int]) -> tuple:
    """(scores, maps) of one model in eval mode on its test split.

    scores: the long table of explain_metrics.evaluate_methods (method, image, label, target,
    metric, score), `image` = position in the test split. maps: the qualitative grid's inputs,
    {"images" (k, 28, 28) uint8, "labels", "indices", "methods", "maps" (methods, k, 28, 28)}.
    """
    model.eval()
    scores = evaluate_methods(model, test.images, test.labels, spec, **options)
    pick = torch.as_tensor(qualitative, dtype=torch.long)
    if len(pick) and int(pick.max()) >= len(test.labels):
        raise ValueError(f"xai.qualitative: test image {int(pick.max())} does not exist "
                         f"({len(test.labels)} test images); choose indices below that")
    x, _ = to_model_input(test.images[pick.to(test.images.device)], spec)
    y = test.labels[pick.to(test.labels.device)]
    with torch.no_grad():
        targets = select_targets(model(x)[0], y, options["cam_target"])
    generator = torch.Generator().manual_seed(options["seed"])
    maps = np.stack([cam_maps(model, x, targets, m, generator=generator)[:, 0].detach().cpu().numpy()
                     for m in options["methods"]]).astype(np.float32)
    return scores, {"images": test.images[pick.to(test.images.device)].cpu().numpy(),
                    "labels": y.cpu().numpy(), "indices": test.indices[pick.to(test.indices.device)].cpu().numpy(),
                    "methods": np.array(options["methods"]), "maps": maps}


def score_folder(run: str | Path, out: str | Path, options: dict, qualitative: list[int], device,
                 data_dir=None, download_root=None) -> dict:
    """Score a finished run folder into `out`: scores.csv.gz, maps.npz, scores.json (removed
    first, so its presence marks a finished scoring), timings.json; return scores.json's record
    and the seconds scoring took."""
    metrics, cfg, data, model = load_run(run, device, data_dir, download_root)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / layout.XAI_META).unlink(missing_ok=True)
    t0 = time.perf_counter()
    scores, maps = score_run(model, data.test, data.test_spec, options, qualitative)
    seconds = time.perf_counter() - t0
    with atomic_path(out / layout.XAI_SCORES) as tmp:
        scores.to_csv(tmp, index=False, compression={"method": "gzip", "mtime": 0})
    with atomic_path(out / layout.XAI_MAPS) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **maps)
    record = {"run": str(Path(run)), "dataset": cfg.dataset, "variant": cfg.variant, "seed": cfg.seed,
              "backbone": cfg.backbone, "options": options, "qualitative": qualitative,
              "n_images": int(scores["image"].nunique()), "official": data.provenance["official"],
              "test_indices": data.test.indices[sorted(scores["image"].unique())].cpu().tolist(),
              "versions": runinfo.versions(), "device": device.type}
    write_json(out / layout.XAI_META, record)
    write_json(out / layout.TIMINGS, {"seconds": seconds, "device_name": runinfo.device_name(device)})
    return dict(record, seconds=seconds)


# ---- the study: method x metric tables, alpha per metric and training, the answers ----

LOCALISATION = ("energy_pointing_game", "pointing_game", "topk_iou")


def _runs_by_training(study: Settings, bases: dict, score_dirs: list) -> dict:
    """{training: [(seed, scores.json dict, long scores table, folder)]} for every run of `expand`."""
    found = {}
    for d in score_dirs:
        meta = json.loads((Path(d) / layout.XAI_META).read_text())
        found[(meta["dataset"], layout.run_name_of(meta["run"]), meta["seed"])] = (Path(d), meta)
    out = {}
    for r in expand(study, bases):
        key = (r["dataset"], r["name"], r["seed"])
        if key not in found:
            raise ValueError(f"xai: no scores for {r['dataset']}/{r['name']} seed {r['seed']}; run "
                             "`wrongnumber xai-scores` on every run of the study")
        folder, meta = found[key]
        table = pd.read_csv(folder / layout.XAI_SCORES)
        out.setdefault(r["training"], []).append((r["seed"], meta, table, folder))
    return out


def _wide(table, metric: str, methods: list[str]):
    """(n_images, n_methods) scores of one metric, methods in the study's order."""
    wide = table[table["metric"] == metric].pivot(index="image", columns="method", values="score")
    return wide[methods].to_numpy()


def compare_alpha(a: dict, c: dict) -> str:
    """'higher' / 'lower' when the two intervals are disjoint, 'overlapping' when they are not,
    'undefined' when either alpha is (no image orders any method above another)."""
    if not all(math.isfinite(x[k]) for x in (a, c) for k in ("alpha", "lo", "hi")):
        return "undefined"
    if a["lo"] > c["hi"]:
        return "higher"
    if a["hi"] < c["lo"]:
        return "lower"
    return "overlapping"


def summarise(study: Settings, bases: dict, score_dirs: list) -> dict:
    """Every number of the study's report section (see artifacts/xai.py's report_section)."""
    if len(study.datasets) != 1:
        raise ValueError(f"xai.datasets: one dataset per study, got {study.datasets}; its tables "
                         "compare methods on the same images (run the study once per dataset)")
    runs = _runs_by_training(study, bases, score_dirs)
    metas = [m for items in runs.values() for _, m, _, _ in items]
    for m in metas:  # every run scored the same way on the same images
        for key in ("options", "test_indices"):
            if m.get(key) != metas[0].get(key):
                raise ValueError(f"xai: {m['run']} was scored with other {key} than {metas[0]['run']}; "
                                 "rescore every run with the study's options (delete RUN/xai)")
    methods = list(study.methods)
    confidence, n_boot, boot_seed = study.confidence, study.n_boot, study.sample_seed
    out = {"trainings": list(study.variants), "methods": methods, "metrics": METRICS,
           "qualitative": list(study.qualitative),
           "variants": study.variants, "seeds": sorted(study.seeds), "confidence": confidence,
           "n_boot": n_boot, "method_metric": {}, "alpha": {}, "scoring_seconds": 0.0}
    per_seed_means = {}
    for training, items in runs.items():
        items.sort(key=lambda t: t[0])
        out.setdefault("grid_dirs", {})[training] = str(items[0][3])  # the lowest seed's maps
        out["n_images"] = int(items[0][2]["image"].nunique())
        out["options"] = items[0][1]["options"]
        out["official"] = out.get("official", True) and all(m["official"] for _, m, _, _ in items)
        means = {s: t.groupby(["method", "metric"])["score"].mean() for s, _, t, _ in items}
        per_seed_means[training] = means
        out["method_metric"][training] = {
            m: {k: summarize([means[s][(m, k)] for s in means]) for k in METRICS} for m in methods}
        out["alpha"][training] = {}
        for metric, higher in METRICS.items():
            sets = [_wide(t, metric, methods) for _, _, t, _ in items]
            two_level = len(sets) > 1  # seeds resampled too: the interval covers their spread
            alpha, lo, hi = bootstrap_mean_alpha(sets, higher, n_boot, boot_seed, confidence,
                                                 "percentile" if two_level else "bca", two_level)
            _, lo_img, hi_img = bootstrap_mean_alpha(sets, higher, n_boot, boot_seed, confidence)
            seeds = [krippendorff_alpha_of_rankings(x, higher) for x in sets]
            out["alpha"][training][metric] = {
                "alpha": alpha, "lo": lo, "hi": hi, "lo_images": lo_img, "hi_images": hi_img,
                "per_seed": seeds, "sd_seeds": float(np.std(seeds, ddof=1)) if len(seeds) > 1 else math.nan}
        out["interval"] = ("percentile bootstrap resampling the seeds and the images" if len(items) > 1
                           else "BCa bootstrap resampling the images (one model: no seed spread)")
        for _, _, _, folder in items:
            out["scoring_seconds"] += json.loads((folder / layout.TIMINGS).read_text())["seconds"]
        # the training variant's own test accuracy (its eval.json beside the scores, when evaluated)
        evals = [Path(layout.eval_file(layout.run_of(folder))) for _, _, _, folder in items]
        if all(e.is_file() for e in evals):
            out.setdefault("accuracy", {})[training] = summarize(
                [100 * json.loads(e.read_text())["accuracy"] for e in evals])
    reference = "C" if "C" in runs else out["trainings"][0]
    out["reference"] = reference
    out["comparisons"] = {}
    non_random = [m for m in methods if m != "random"]
    for training in out["trainings"]:
        if training == reference:
            continue
        alpha_cmp = {k: compare_alpha(out["alpha"][training][k], out["alpha"][reference][k]) for k in METRICS}
        local = {}
        for metric in LOCALISATION:
            for label, ms in (("grad_cam", ["grad_cam"]), ("mean over methods", non_random)):
                if not all(m in methods for m in ms):
                    continue
                a = [float(np.mean([per_seed_means[training][s][(m, metric)] for m in ms]))
                     for s in sorted(per_seed_means[training])]
                c = [float(np.mean([per_seed_means[reference][s][(m, metric)] for m in ms]))
                     for s in sorted(per_seed_means[reference])]
                local[f"{metric} ({label})"] = {"value": summarize(a), "reference": summarize(c),
                                                "paired": paired_across_seeds(a, c) if len(a) == len(c) else None}
        out["comparisons"][training] = {"alpha": alpha_cmp, "localisation": local}
    out["questions"] = xai_questions(out)
    return out
