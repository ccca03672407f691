"""Beyond the paper II: the explanation study as the reader sees it.

analysis/xai.py summarises the scores; here they become the alpha and method x metric tables
(CSV, Markdown, LaTeX), one methods x images grid per training variant, xai.json, the plain
answers to the study's question (`answers`) and the report section.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..analysis import formatting as fmt
from ..analysis.xai import summarise
from ..plan import layout
from ..plan.runspec import bases
from . import questions as q
from .study_figures import methods_grid
from .table_files import write_tables


def _fmt(s: dict, d: int = 3) -> str:
    return fmt.pm(s["mean"], s["sd"], d)


def table_rows(result: dict) -> dict:
    """{"alpha": rows, "methods_<training>": rows}: strings, for CSV/MD/TeX and the report."""
    metrics = result["metrics"]
    def cell(a: dict) -> str:
        sd = f" ± {a['sd_seeds']:.3f}" if math.isfinite(a["sd_seeds"]) else ""
        return f"{a['alpha']:.3f}{sd} [{a['lo']:.3f}, {a['hi']:.3f}]"
    tables = {"alpha": {"title": f"Krippendorff's alpha (ordinal) of the methods' rankings, images as raters: "
                                 f"mean ± sd over seeds [{result['confidence']:.0%} {result['interval']}]",
                        "rows": [{"metric": f"{k} ({'higher' if metrics[k] else 'lower'} is better)",
                                  **{t: cell(result["alpha"][t][k]) for t in result["trainings"]}}
                                 for k in metrics]},
              "questions": {"title": "The study's questions, decided by the rule fixed before its runs "
                                     "(docs/protocol.md): alpha intervals against the reference's",
                            "rows": q.rows(result.get("questions", []))}}
    for t in result["trainings"]:
        tables[f"methods_{t}"] = {
            "title": f"{t}: mean score per method and metric (mean ± sd over seeds of the per-run means)",
            "rows": [{"method": m, **{k: _fmt(result["method_metric"][t][m][k]) for k in metrics}}
                     for m in result["methods"]]}
    return tables


def from_files(study, config: dict, out_dir, *, scores) -> tuple[dict, list]:
    """`wrongnumber xai`: the study from every run's xai-scores folder; (the result, the files written)."""
    result = summarise(study, bases(config), scores)
    return result, write(result, out_dir)


def write(result: dict, out_dir) -> list:
    """The tables (CSV, MD, TeX) and one methods x images grid per training variant (the lowest
    seed's run, named in `result`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = write_tables(table_rows(result), out)
    result["figures"] = []
    for t in result["trainings"]:
        png, pdf = methods_grid(Path(result["grid_dirs"][t]) / layout.XAI_MAPS, f"{t}: every method on the same test images "
                                f"(seed {result['seeds'][0]})", out / f"grid_{t}")
        result["figures"].append({"training": t, "png": str(png), "pdf": str(pdf)})
        paths += [png, pdf]
    return paths


def answers(result: dict) -> list[str]:
    """The study's question, answered from its numbers: against the reference training (C),
    does each modification raise alpha (intervals disjoint) and localise the maps better?"""
    ref = result["reference"]
    lines = q.lines(result.get("questions", []))
    lines.append(f"Alpha intervals: {result['confidence']:.0%} {result['interval']}; 'higher' and 'lower' "
                 "need disjoint intervals; a question holds when more than half of the metrics are "
                 "'higher' and none 'lower' (docs/protocol.md).")
    n = len(result["metrics"])
    for t, comp in result["comparisons"].items():
        counts = {k: sum(v == k for v in comp["alpha"].values())
                  for k in ("higher", "lower", "overlapping", "undefined")}
        higher = [m for m, v in comp["alpha"].items() if v == "higher"]
        lower = [m for m, v in comp["alpha"].items() if v == "lower"]
        line = (f"{t} vs {ref}: alpha higher (intervals disjoint) on {counts['higher']} of {n} metrics"
                + (f" ({', '.join(higher)})" if higher else "")
                + f", lower on {counts['lower']}" + (f" ({', '.join(lower)})" if lower else "")
                + f", intervals overlapping on {counts['overlapping']}"
                + (f", undefined on {counts['undefined']}" if counts["undefined"] else "") + ".")
        local = comp["localisation"].get("energy_pointing_game (grad_cam)")
        if local:
            p = local["paired"]
            test = (f"; {p['t_test']['test']} across {p['n']} seeds: {fmt.p_value(p['t_test']['p_value'], 3)}"
                    if p and math.isfinite(p["t_test"]["p_value"]) else "")
            line += (f" Grad-CAM energy inside the digit: {_fmt(local['value'])} vs {_fmt(local['reference'])}"
                     f"{test}.")
        lines.append(line)
    return lines


def report_section(result: dict) -> dict:
    """What the report's explanation-study section prints."""
    tables = table_rows(result)
    alpha, questions = tables.pop("alpha"), tables.pop("questions")
    o = result["options"]
    local_rows = []
    for t, comp in result["comparisons"].items():
        for name, v in comp["localisation"].items():
            p = v["paired"]
            local_rows.append({"training": t, "measure": name, "value": _fmt(v["value"]),
                               result["reference"]: _fmt(v["reference"]),
                               "paired t-test p": fmt.p_number(p["t_test"]["p_value"]) if p and math.isfinite(p["t_test"]["p_value"]) else "n/a (fewer than 2 seeds)",
                               "Wilcoxon p": fmt.p_number(p["wilcoxon"]["p_value"]) if p else "n/a"})
    accuracy = result.get("accuracy", {})
    return {
        "answers": answers(result),
        "accuracy": ", ".join(f"{t} {_fmt(a, 2)} %" for t, a in accuracy.items()) or "not evaluated",
        "alpha": {"title": alpha["title"], "rows": alpha["rows"], "columns": list(alpha["rows"][0])},
        "questions": {"title": questions["title"], "rows": questions["rows"],
                      "columns": list(questions["rows"][0]) if questions["rows"] else []},
        "methods": [{"training": k.removeprefix("methods_"), "title": v["title"], "rows": v["rows"],
                     "columns": list(v["rows"][0])} for k, v in tables.items()],
        "localisation": {"rows": local_rows, "columns": list(local_rows[0]) if local_rows else []},
        "figures": [{"png": f["png"], "caption": f"{f['training']}: input (top row) and the map of every method, "
                                                 f"test images {', '.join(map(str, result['qualitative']))}"}
                    for f in result["figures"]],
        "trainings": ", ".join(f"{t} = {' '.join(f'{k}={v}' for k, v in spec.items())}"
                               for t, spec in result["variants"].items()),
        "setup": (f"{result['n_images']} test images per run (seeded draw {o['seed']}, the same for every run), "
                  f"CAM target {o['cam_target']}, deletion/insertion with {o['n_steps']} steps to a "
                  f"{o['baseline']} baseline, top-k IoU at {o['k_percent']:g} %; seeds {', '.join(map(str, result['seeds']))}; "
                  f"alpha intervals from {result['n_boot']} bootstrap resamples of the images; "
                  f"scoring took {fmt.duration(result['scoring_seconds'])} in all"),
        "data": "official" if result["official"] else "not the paper's data (official: false)",
    }
