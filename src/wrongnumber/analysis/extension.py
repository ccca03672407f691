"""Beyond the paper I: the 2025 extension's study ("You've Got the Wrong Outfit").

Six seeds (each a different train/validation split and initialisation), several backbones,
and the CAM at two resolutions of one network; per (dataset, variant, backbone) the mean, sd
and 95 % t-interval of accuracy and of the CAM-quality measures (evaluate.CAM_QUALITY), and
R against C by McNemar's test per seed and by paired tests across seeds (stats.py).
`expand` turns config/extension.yaml into the runs to train; `summarise` (below) builds the
study's tables from the finished runs.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from . import formatting as fmt
from ..core.atomic import write_json
from ..plan.runspec import SEP, overrides_of, run_name


def backbone_plan(study: dict) -> list[dict]:
    """[{"backbone", "group", "datasets", "seeds", "overrides"}] for the backbone study and the
    feature-map ablation, each entry's per-backbone settings falling back to the study's."""
    plan = []
    for group, entries in (("backbones", study["backbones"]),
                           ("feature_map", study.get("feature_map", {}).get("backbones", {}))):
        for backbone, own in entries.items():
            own = own or {}
            plan.append({"backbone": backbone, "group": group,
                         "datasets": own.get("datasets", study["datasets"]),
                         "seeds": own.get("seeds", study["seeds"]),
                         "overrides": own.get("overrides", {})})
    return plan


def expand(study: dict, bases: dict[str, dict]) -> list[dict]:
    """Every run: {"dataset", "name", "backbone", "seed", "variant"}; a run that two entries
    ask for (the feature-map ablation's 7x7 network is also a backbone) is listed once."""
    runs, seen = [], set()
    for entry in backbone_plan(study):
        for dataset in entry["datasets"]:
            for variant in study["variants"]:
                name = run_name(variant, entry["overrides"], bases[dataset])
                for seed in entry["seeds"]:
                    key = (dataset, name, entry["backbone"], seed)
                    if key not in seen:
                        seen.add(key)
                        runs.append({"dataset": dataset, "name": name, "backbone": entry["backbone"],
                                     "seed": seed, "variant": variant})
    return runs


# ---- the study's statistics from the finished runs ----

ACCURACY = "accuracy"


def _correct(eval_dir: Path) -> tuple:
    """(test indices, per-sample correctness) from EVAL/predictions.csv."""
    import pandas as pd
    p = pd.read_csv(Path(eval_dir) / "predictions.csv")
    return p["index"].to_numpy(), (p["label"] == p["prediction"]).to_numpy()


def _values(run) -> dict:
    """One number per measure of a run: accuracy in %, then the eval's CAM-quality means."""
    return {ACCURACY: 100 * run.eval["accuracy"], **run.eval["cam_quality"]}


def summarise(study: dict, bases: dict, runs) -> dict:
    """Per (dataset, backbone, variant) the summaries of every measure, and per (dataset,
    backbone) R against C: McNemar per shared seed and paired tests across seeds; plus the
    feature-map ablation (the same network with its CAM at two resolutions, per variant).

    `runs`: provenance.Run records of every run of `expand(study, bases)`.
    """
    from ..core.evaluate import CAM_QUALITY
    from ..core.models import MODELS
    from .stats import mcnemar, paired_across_seeds
    from .stats import summarize as summarize_at

    want = {(r["dataset"], r["name"], r["backbone"], r["seed"]) for r in expand(study, bases)}
    have = {(r.dataset, r.name, r.backbone, r.seed): r for r in runs}
    missing = sorted(want - set(have))
    if missing:
        d, n, b, s = missing[0]
        raise ValueError(f"extension: no finished run {d}/{n}/{b} seed {s} ({len(missing)} missing)")
    cells: dict = {}  # (dataset, backbone, overrides, variant): the overrides pair R with its C
    for key in sorted(want):
        run = have[key]
        cells.setdefault((run.dataset, run.backbone, overrides_of(run.name), run.variant), []).append(run)
    measures = [ACCURACY, *CAM_QUALITY]
    higher = {ACCURACY: True, **{k: v[1] for k, v in CAM_QUALITY.items()}}
    level = study.get("confidence", 0.95)
    summarize = functools.partial(summarize_at, confidence=level)
    out = {"measures": measures, "higher_is_better": higher, "confidence": level,
           "cells": [], "r_vs_c": [], "feature_map": [], "seconds": {}}
    for (dataset, backbone, over, variant), rs in cells.items():
        rs.sort(key=lambda r: r.seed)
        vals = [_values(r) for r in rs]
        out["cells"].append({
            "dataset": dataset, "backbone": backbone, "variant": variant, "name": rs[0].name,
            "overrides": over.replace(SEP, ", ") or "none",
            "seeds": [r.seed for r in rs], "n_params": rs[0].metrics["n_params"],
            "cam_layer": MODELS[backbone].cam_layer, "official": all(r.metrics["data"]["official"] for r in rs),
            "stopped_epoch": summarize([r.metrics["stopped_epoch"] for r in rs]),
            "train_seconds": summarize([r.timings["total_seconds"] for r in rs]),
            "summary": {m: summarize([v[m] for v in vals]) for m in measures},
            "per_seed": {m: [v[m] for v in vals] for m in measures}})
        out["seconds"][backbone] = out["seconds"].get(backbone, 0.0) + sum(r.timings["total_seconds"] for r in rs)
    runs_by = {k: {r.seed: r for r in v} for k, v in cells.items()}
    for (dataset, backbone, over, variant) in list(runs_by):
        if variant != "R" or (dataset, backbone, over, "C") not in runs_by:
            continue
        r_runs, c_runs = runs_by[(dataset, backbone, over, "R")], runs_by[(dataset, backbone, over, "C")]
        seeds = sorted(set(r_runs) & set(c_runs))
        per_seed = []
        for s in seeds:
            (ir, cr), (ic, cc) = _correct(r_runs[s].eval_dir), _correct(c_runs[s].eval_dir)
            if not np.array_equal(ir, ic):
                raise ValueError(f"{r_runs[s].eval_dir} and {c_runs[s].eval_dir} evaluate different test "
                                 "images; McNemar needs the same images in the same order")
            per_seed.append({"seed": s, **mcnemar(cr, cc)})
        out["r_vs_c"].append({
            "dataset": dataset, "backbone": backbone, "overrides": over.replace(SEP, ", ") or "none",
            "seeds": seeds, "mcnemar": per_seed,
            "paired": {m: paired_across_seeds([_values(r_runs[s])[m] for s in seeds],
                                              [_values(c_runs[s])[m] for s in seeds]) for m in measures}})
    fm = list(study.get("feature_map", {}).get("backbones", {}))
    if len(fm) == 2:
        coarse, fine = fm
        for (dataset, backbone, over, variant), a in runs_by.items():
            b = runs_by.get((dataset, fine, over, variant))
            if backbone != coarse or not b:
                continue
            seeds = sorted(set(a) & set(b))
            if not seeds:
                raise ValueError(f"extension.feature_map: {dataset} {variant} has {coarse} seeds {sorted(a)} and "
                                 f"{fine} seeds {sorted(b)}, none shared; give both the same seeds")
            out["feature_map"].append({
                "dataset": dataset, "variant": variant, "backbones": [coarse, fine],
                "overrides": over.replace(SEP, ", ") or "none",
                "resolutions": [MODELS[coarse].cam_hw, MODELS[fine].cam_hw], "seeds": seeds,
                "paired": {m: paired_across_seeds([_values(b[s])[m] for s in seeds],
                                                  [_values(a[s])[m] for s in seeds]) for m in measures}})
    return out


SNAPSHOT_CLASS = {"mnist": 5, "fashion": 9}  # the paper's probes: the digit five, the ankle boot
PLOTTED = ("energy_in_mask", "ssim")


def _pm(s: dict, d: int = 3, ci: bool = True) -> str:
    if not math.isfinite(s["sd"]):
        return f"{fmt.pm(s['mean'], s['sd'], d)} (n=1)"
    return fmt.pm(s["mean"], s["sd"], d) + (f" [{s['ci95'][0]:.{d}f}, {s['ci95'][1]:.{d}f}]" if ci else "")


def _p(test: dict) -> str:
    return fmt.p_number(test["p_value"])


def table_rows(result: dict) -> dict:
    """The study's tables as rows of strings."""
    measures = result["measures"]
    summary = [{"dataset": c["dataset"], "backbone": f"{c['backbone']} ({c['cam_layer']}, {c['n_params']:,} params)",
                "variant": c["variant"], "overrides": c["overrides"], "seeds": f"{len(c['seeds'])}: {c['seeds']}",
                **{("accuracy %" if m == "accuracy" else m): _pm(c["summary"][m], 2 if m == "accuracy" else 3)
                   for m in measures},
                "epochs": _pm(c["stopped_epoch"], 1, ci=False)} for c in result["cells"]]
    paired = [{"dataset": t["dataset"], "backbone": t["backbone"], "overrides": t["overrides"], "measure": m,
               "R - C": f"{t['paired'][m]['mean_difference']:+.3f} ± {t['paired'][m]['sd_difference']:.3f}"
               if t["paired"][m]["n"] > 1 else f"{t['paired'][m]['mean_difference']:+.3f}",
               "seeds": str(t["paired"][m]["n"]),
               "paired t-test p": _p(t["paired"][m]["t_test"]), "Wilcoxon signed-rank p": _p(t["paired"][m]["wilcoxon"])}
              for t in result["r_vs_c"] for m in measures]
    mcn = [{"dataset": t["dataset"], "backbone": t["backbone"], "overrides": t["overrides"], "seed": str(x["seed"]),
            "R right, C wrong": str(x["b"]), "C right, R wrong": str(x["c"]), "test": x["test"],
            "p": _p(x)} for t in result["r_vs_c"] for x in t["mcnemar"]]
    fmap = [{"dataset": f["dataset"], "variant": f["variant"], "overrides": f["overrides"], "measure": m,
             f"{f['resolutions'][1]}x{f['resolutions'][1]} - {f['resolutions'][0]}x{f['resolutions'][0]}":
                 f"{f['paired'][m]['mean_difference']:+.3f}",
             "seeds": str(f["paired"][m]["n"]), "paired t-test p": _p(f["paired"][m]["t_test"]),
             "Wilcoxon signed-rank p": _p(f["paired"][m]["wilcoxon"])}
            for f in result["feature_map"] for m in measures]
    tables = {"summary": {"title": f"Per dataset, backbone and variant: mean ± sd over seeds "
                                   f"[{result['confidence']:.0%} t-interval of the mean]", "rows": summary},
              "r_vs_c": {"title": "R against C, paired by seed (same split and initialisation)", "rows": paired},
              "mcnemar": {"title": "R against C per seed on the same test images: McNemar's test", "rows": mcn}}
    if fmap:
        fm = result["feature_map"][0]["backbones"]
        tables["feature_map"] = {"title": f"Feature-map size: {fm[1]} against {fm[0]}, paired by seed", "rows": fmap}
    return {k: v for k, v in tables.items() if v["rows"]}


def write(result: dict, runs, out_dir) -> list:
    """extension.json, the tables (CSV, MD, TeX), the accuracy-vs-CAM plot and the snapshots."""
    from ..artifacts.study_figures import accuracy_vs_cam, snapshots
    from ..artifacts.table_files import write_tables
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = write_tables(table_rows(result), out)
    png, pdf = accuracy_vs_cam(result["cells"], list(PLOTTED), out / "accuracy_vs_cam")
    result["figures"] = [{"png": str(png), "caption": "Test accuracy against the share of CAM energy inside the "
                          "object (input > 0) and the SSIM between the min-max scaled CAM and the input; "
                          "mean ± sd over seeds per backbone (marker) and variant (colour: C blue, R red)."}]
    paths += [png, pdf]
    probes = {}  # dataset -> backbone -> variant -> the lowest seed's probes.npz
    for r in sorted(runs, key=lambda r: r.seed):
        probes.setdefault(r.dataset, {}).setdefault(r.backbone, {}).setdefault(r.variant, r.probes)
    for dataset, by_backbone in sorted(probes.items()):
        rows = sorted(by_backbone.items())
        png, pdf = snapshots(rows, dataset, SNAPSHOT_CLASS[dataset], out / f"snapshots_{dataset}")
        result["figures"].append({"png": str(png), "caption": f"{dataset}: the CAM of the class-"
                                  f"{SNAPSHOT_CLASS[dataset]} probe (the paper's figures' image) after each "
                                  "backbone's last epoch, C and R, lowest seed."})
        paths += [png, pdf]
    write_json(out / "extension.json", result)
    return paths + [out / "extension.json"]


def report_section(result: dict) -> dict:
    """What the report's extension section prints."""
    tables = table_rows(result)
    seeds = sorted({s for c in result["cells"] for s in c["seeds"]})
    datasets = sorted({c["dataset"] for c in result["cells"]})
    unofficial = sorted({c["dataset"] for c in result["cells"] if not c["official"]})
    statements = [f"{len(seeds)} seeds ran in all ({seeds}); per cell the seeds are listed in the table. Data: "
                  + ", ".join(f"{d} (official: {'false' if d in unofficial else 'true'})" for d in datasets) + "."]
    for t in result["r_vs_c"]:
        acc = t["paired"]["accuracy"]
        sig = sum(x["p_value"] < 0.05 for x in t["mcnemar"])
        statements.append(
            f"{t['dataset']} {t['backbone']}" + (f" ({t['overrides']})" if t["overrides"] != "none" else "")
            + f": R - C accuracy {acc['mean_difference']:+.2f} pp over "
            f"{acc['n']} seeds ({acc['t_test']['test']}: {fmt.p_value(acc['t_test']['p_value'], 3)}; "
            f"{acc['wilcoxon']['test']}: {fmt.p_value(acc['wilcoxon']['p_value'], 3)}); McNemar p < 0.05 on {sig} of "
            f"{len(t['mcnemar'])} seeds.")
    hours = ", ".join(f"{b} {s / 3600:.2f} h" for b, s in sorted(result["seconds"].items()))
    return {"statements": statements, "training_time": hours,
            "tables": [{"name": k, "title": v["title"], "rows": v["rows"], "columns": list(v["rows"][0])}
                       for k, v in tables.items()],
            "figures": result["figures"]}
