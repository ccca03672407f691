"""Beyond the paper I: the extension study as the reader sees it.

analysis/extension.py summarises the runs; here they become the tables (CSV, Markdown, LaTeX),
the accuracy-vs-CAM plot, each backbone's CAM snapshots, extension.json and the report section.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..analysis import formatting as fmt
from ..analysis.extension import summarise
from ..analysis.provenance import load_runs
from ..plan.runspec import bases
from . import questions as q
from .figures import PROBE_CLASS
from .study_figures import accuracy_vs_cam, snapshots
from .table_files import write_tables


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
    tables = {"questions": {"title": "The study's questions, decided by the rule fixed before its runs "
                                     "(docs/protocol.md): paired t-tests across seeds, one Holm family",
                            "rows": q.rows(result.get("questions", []))},
              "summary": {"title": f"Per dataset, backbone and variant: mean ± sd over seeds "
                                   f"[{result['confidence']:.0%} t-interval of the mean]", "rows": summary},
              "r_vs_c": {"title": "R against C, paired by seed (same split and initialisation)", "rows": paired},
              "mcnemar": {"title": "R against C per seed on the same test images: McNemar's test", "rows": mcn}}
    if fmap:
        fm = result["feature_map"][0]["backbones"]
        tables["feature_map"] = {"title": f"Feature-map size: {fm[1]} against {fm[0]}, paired by seed", "rows": fmap}
    return {k: v for k, v in tables.items() if v["rows"]}


def from_files(study, config: dict, out_dir, *, runs, evals) -> tuple[dict, list]:
    """`wrongnumber extension`: the study summarised from its run and evaluation folders;
    (the result, the files written)."""
    loaded = load_runs(runs, evals, unique=False)
    result = summarise(study, bases(config), loaded)
    return result, write(result, loaded, out_dir)


def write(result: dict, runs, out_dir) -> list:
    """The tables (CSV, MD, TeX), the accuracy-vs-CAM plot and the snapshots (named in `result`)."""
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
        png, pdf = snapshots(rows, dataset, PROBE_CLASS[dataset], out / f"snapshots_{dataset}")
        result["figures"].append({"png": str(png), "caption": f"{dataset}: the CAM of the class-"
                                  f"{PROBE_CLASS[dataset]} probe (the paper's figures' image) after each "
                                  "backbone's last epoch, C and R, lowest seed."})
        paths += [png, pdf]
    return paths


def report_section(result: dict) -> dict:
    """What the report's extension section prints."""
    tables = table_rows(result)
    seeds = sorted({s for c in result["cells"] for s in c["seeds"]})
    datasets = sorted({c["dataset"] for c in result["cells"]})
    unofficial = sorted({c["dataset"] for c in result["cells"] if not c["official"]})
    statements = q.lines(result.get("questions", []))
    statements += [f"{len(seeds)} seeds ran in all ({seeds}); per cell the seeds are listed in the table. Data: "
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
    hours = ", ".join(f"{b} {fmt.duration(s)}" for b, s in sorted(result["seconds"].items()))
    return {"statements": statements, "training_time": hours,
            "tables": [{"name": k, "title": v["title"], "rows": v["rows"], "columns": list(v["rows"][0])}
                       for k, v in tables.items()],
            "figures": result["figures"]}
