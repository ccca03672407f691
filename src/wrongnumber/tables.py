"""The paper's tables regenerated from results/, each number set against paper/reported.yaml.

Every row: the paper's value, the regenerated value (mean over seeds, ± sample std when n > 1),
the signed difference and a verdict: |regenerated - paper| <= tolerance -> "reproduced". Wall
times measured on other hardware get "not comparable" and a speed-up ratio instead. A number of
reported.yaml that no row covers, or a row without a value, is an error.
"""
from __future__ import annotations

import json
import math
import os
import statistics
from pathlib import Path

import yaml

REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"
NOT_COMPARABLE = "not comparable (different hardware)"
UNOFFICIAL = "(unofficial data)"  # appended to verdicts on data that is not the paper's
DERIVED = "(derived)"  # key of a row computed from a paper number rather than printed in the paper
COLUMNS = ("key", "quantity", "paper", "regenerated", "difference", "verdict", "measured_as", "where")
DECIMALS = {"%": 2, "K": 2, "M": 2, "h": 4, "images": 0, "epochs": 0, "s": 2}
TABLES = {  # name -> (title, the reported.yaml key prefixes it holds)
    "table1": ("Table 1: MNIST test set, R and C", ("table1.",)),
    "table2": ("Table 2: model complexity", ("table2.",)),
    "timing": ("Training time and early stopping", ("timing.",)),
    "fashion": ("Fashion-MNIST subset accuracy", ("fashion.",)),
    "text": ("Other numbers printed in the text", ("prose.", "data.")),
}
PAPER_TEST_IMAGES = 10_000  # the official MNIST test set behind Table 1's counts
PAPER_IMAGES_PER_EPOCH = 60_000  # assumption for the per-image speed-up: the paper's full training set


def load_reported(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def fmt(value: float, unit: str, std: float | None = None, n: int = 1) -> str:
    d = DECIMALS.get(unit, 2)
    if unit in ("images", "epochs") and n > 1 and value != round(value):
        d = 1  # a mean over seeds of a count
    text = f"{value:,.{d}f}" if unit in ("images", "epochs") else f"{value:.{d}f}"
    if n > 1:
        return f"{text} ± {std:.{max(d, 1)}f} {unit} (n={n} seeds)"
    return f"{text} {unit}"


def verdict(spec: dict, value: float, official: bool = True) -> str:
    """Tolerance verdict; on data that is not the paper's (official: false) it says so."""
    if spec.get("comparison") == "hardware":
        return NOT_COMPARABLE
    v = REPRODUCED if abs(value - spec["value"]) <= spec["tolerance"] + 1e-9 else NOT_REPRODUCED
    return v if official else f"{v} {UNOFFICIAL}"


def ratio(paper: float, ours: float) -> str:
    if ours <= 0:
        return "speed-up: not measurable (0 s)"
    r = paper / ours
    return f"speed-up x{r:,.0f}" if r >= 100 else f"speed-up x{r:.3g}"


def compare(key: str, spec: dict, values: list[float], quantity: str, measured_as: str,
            official: bool = True, not_comparable: str | None = None) -> dict:
    """One comparison row; `values` are the regenerated numbers, one per seed. `not_comparable`
    names why a count cannot be held against the paper's (e.g. another test-set size)."""
    if not values or any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
        raise ValueError(f"{key}: no regenerated value ({measured_as})")
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else None
    unit = spec["unit"]
    if spec.get("comparison") == "hardware":
        difference = ratio(spec["value"], mean)
    else:
        d = 0 if unit in ("images", "epochs") and mean == round(mean) else DECIMALS.get(unit, 2) + 1
        difference = f"{mean - spec['value']:+.{d}f} {unit} (tolerance {spec['tolerance']:g})"
    return {"key": key, "quantity": quantity, "paper": fmt(spec["value"], unit),
            "regenerated": fmt(mean, unit, std, len(values)), "difference": difference,
            "verdict": f"not comparable ({not_comparable})" if not_comparable else verdict(spec, mean, official),
            "measured_as": measured_as, "where": spec["where"],
            "value": mean, "n": len(values), "owner": key}


def _select(runs, dataset: str, variant: str) -> list:
    chosen = [r for r in runs if r.dataset == dataset and r.variant == variant]
    if not chosen:
        raise ValueError(f"no finished run for {dataset}/{variant}: the paper's tables need both "
                         "datasets and both variants (config: data, variants)")
    return chosen


def _official(runs) -> bool:
    return all(r.metrics["data"]["official"] for r in runs)


def _seeds(runs) -> str:
    return f"seeds {[r.seed for r in runs]}"


def _train_accuracy(run) -> tuple[float, str]:
    """Training accuracy at the restored epoch, or the validation accuracy when not recorded."""
    row = run.metrics["history"][run.metrics["best_epoch"] - 1]
    if "train_accuracy" in row:
        return 100 * row["train_accuracy"], "running accuracy over the training batches of the restored epoch"
    return 100 * row["val_accuracy"], ("validation accuracy (held-out share of the training set) at "
                                       "the restored epoch; the run did not record a training accuracy")


def comparison_rows(runs, complexity: dict, numbers: dict) -> list[dict]:
    """One row per number of reported.yaml (key order kept) plus derived timing rows."""
    rows = []
    for key, spec in numbers.items():
        head, *rest = key.split(".")
        if head in ("table1", "prose") and rest[-1] in ("test_accuracy", "true_predictions",
                                                      "false_predictions", "true_low_confidence"):
            variant, field = rest
            sel = _select(runs, "mnist", variant)
            scale = 100 if field == "test_accuracy" else 1
            vals = [scale * r.eval["accuracy" if field == "test_accuracy" else field] for r in sel]
            how = (f"eval.json {'accuracy x 100' if field == 'test_accuracy' else field} on "
                   f"{sel[0].eval['n_test']} MNIST test images, {_seeds(sel)}")
            if field == "true_low_confidence":
                how += f", threshold {sel[0].eval['low_confidence_threshold']:g}"
            n_test = {r.eval["n_test"] for r in sel}
            other_size = (field != "test_accuracy" and n_test != {PAPER_TEST_IMAGES}
                          and f"counts over {', '.join(f'{n:,}' for n in sorted(n_test))} test images, "
                              f"the paper's over {PAPER_TEST_IMAGES:,}")
            rows.append(compare(key, spec, vals, f"MNIST{variant} {field.replace('_', ' ')}", how,
                                _official(sel), other_size or None))
        elif head == "prose" and rest[-1] == "train_accuracy":
            sel = _select(runs, "mnist", rest[0])
            pairs = [_train_accuracy(r) for r in sel]
            rows.append(compare(key, spec, [v for v, _ in pairs], f"MNIST{rest[0]} training accuracy",
                                f"{pairs[0][1]}, {_seeds(sel)}", _official(sel)))
        elif head == "data":
            dataset, field = rest
            sel = [r for v in ("C", "R") for r in _select(runs, dataset, v)]
            vals = [(r.metrics["data"]["n_train"] + r.metrics["data"]["n_val"]) if field == "n_train"
                    else r.eval["n_test"] for r in sel]
            how = ("training + validation images" if field == "n_train" else "test images evaluated")
            rows.append(compare(key, spec, sorted(set(vals)), f"{dataset} {field}",
                                f"{how} (distinct values over every run)", _official(sel)))
        elif head == "table2":
            rows += _complexity_rows(key, spec, complexity, rest[0])
        elif head == "timing":
            variant, field = rest
            sel = _select(runs, "mnist", variant)
            if field == "stopped_epoch":
                rows.append(compare(key, spec, [r.metrics["stopped_epoch"] for r in sel],
                                    f"MNIST{variant} epochs run (early stop)",
                                    f"metrics.json stopped_epoch, {_seeds(sel)}", _official(sel)))
            else:
                rows += _timing_rows(key, spec, sel, variant)
        elif head == "fashion" and rest[-1] == "test_accuracy":
            sel = _select(runs, "fashion", rest[0])
            d = sel[0].metrics["data"]
            rows.append(compare(key, spec, [100 * r.eval["accuracy"] for r in sel],
                                f"FASHIONMNIST{rest[0]} test accuracy",
                                f"{d['n_test']} test images, trained on {d['n_train']} "
                                f"(subset={d['subset']}), {_seeds(sel)}", _official(sel)))
        elif key == "fashion.subset_fraction":
            sel = [r for v in ("C", "R") for r in _select(runs, "fashion", v)]
            vals = sorted({100 * (r.metrics["config"]["subset_fraction"] if r.metrics["config"]["subset"] != "none"
                                  else 1.0) for r in sel})
            rows.append(compare(key, spec, vals, "Fashion-MNIST subset share",
                                f"config subset={sel[0].metrics['config']['subset']}, "
                                f"subset_fraction={sel[0].metrics['config']['subset_fraction']:g}"))
        else:
            raise ValueError(f"paper/reported.yaml: no rule regenerates {key!r}")
    return rows


COUNTED = {"params": "parameters of every layer (wrongnumber complexity)",
           "macs": "multiply-accumulates of conv and linear layers per 28x28 image (forward hooks)"}


def _complexity_rows(key: str, spec: dict, complexity: dict, name: str) -> list[dict]:
    """Table 2 row from `wrongnumber complexity`; FLOPs also under each counting convention."""
    scale = {"K": 1e3, "M": 1e6}[spec["unit"]]
    counted = COUNTED.get(name) or f"{complexity['flops_counter']}. {complexity['reconciliation']['finding']}"
    rows = [compare(key, spec, [complexity[name] / scale], f"{name} per image",
                    f"{complexity[name]:,}: {counted}")]
    if name == "flops":
        rows += [compare(key, spec, [c["flops"] / scale], f"FLOPs counted as: {c['name']}",
                         "wrongnumber complexity reconciliation") | {"key": DERIVED}
                 for c in complexity["reconciliation"]["conventions"]]
    return rows


def _timing_rows(key: str, spec: dict, sel: list, variant: str) -> list[dict]:
    """Total hours (key row), then derived rows: hours per epoch, device, per-image speed-up."""
    hours = [r.timings["total_seconds"] / 3600 for r in sel]
    main = compare(key, spec, hours, f"MNIST{variant} total training time",
                   f"timings.json total_seconds, {_seeds(sel)}, on {sel[0].timings['device_name']}")
    paper_epochs = spec["paper_epochs"]
    per_epoch = [h / len(r.timings["epoch_seconds"]) for h, r in zip(hours, sel)]
    derived = compare(key, dict(spec, value=spec["value"] / paper_epochs), per_epoch,
                      f"MNIST{variant} time per epoch", f"total / epochs run; paper: {spec['value']} h "
                      f"/ {paper_epochs} epochs") | {"key": DERIVED}
    images = sel[0].timings["images_per_epoch"]
    paper_s_per_image = spec["value"] * 3600 / paper_epochs / PAPER_IMAGES_PER_EPOCH
    ours = statistics.fmean(p * 3600 / images for p in per_epoch)
    per_image = {"key": DERIVED, "quantity": f"MNIST{variant} time per training image",
                 "paper": f"{1e3 * paper_s_per_image:.4g} ms (assuming {PAPER_IMAGES_PER_EPOCH:,} images/epoch)",
                 "regenerated": f"{1e3 * ours:.4g} ms ({images:,} images/epoch)",
                 "difference": ratio(paper_s_per_image, ours),
                 "verdict": NOT_COMPARABLE, "measured_as": "epoch time / training images per epoch",
                 "where": spec["where"], "value": ours, "n": len(sel), "owner": key}
    device = {"key": DERIVED, "quantity": f"MNIST{variant} device", "paper": "NVIDIA Quadro RTX 5000",
              "regenerated": ", ".join(sorted({r.timings["device_name"] for r in sel})),
              "difference": "-", "verdict": NOT_COMPARABLE, "measured_as": "timings.json device_name",
              "where": "Methods: 'The GPU employed is an NVIDIA QUADRO RTX 5000'", "value": None, "n": len(sel), "owner": key}
    return [main, derived, per_image, device]


def sweep_table(runs, numbers: dict) -> dict:
    """True low-confidence count by threshold (MNIST, mean over seeds) beside the paper's counts."""
    sel = {v: _select(runs, "mnist", v) for v in ("R", "C")}
    paper = {v: numbers[f"table1.{v}.true_low_confidence"]["value"] for v in sel}
    rows, closest = [], {}
    for t in sel["R"][0].eval["low_confidence_sweep"]:
        row = {"threshold": t}
        for v, rs in sel.items():
            n = statistics.fmean(r.eval["low_confidence_sweep"][t] for r in rs)
            row[f"{v} true low confidence"] = f"{n:g}"
            row[f"{v} minus paper ({paper[v]:g})"] = f"{n - paper[v]:+g}"
            if v not in closest or abs(n - paper[v]) < closest[v][0]:
                closest[v] = (abs(n - paper[v]), t, n)
        rows.append(row)
    note = "; ".join(f"{v}: the count is closest to the paper's {paper[v]:g} at threshold {t} ({n:g})"
                     for v, (_, t, n) in closest.items())
    return {"title": "True low confidence by threshold (MNIST test set)", "rows": rows, "note": note}


def build_tables(runs, complexity: dict, reported: dict) -> dict:
    """{table name: {"title", "rows"}}; every key of reported.yaml lands in exactly one table."""
    rows = comparison_rows(runs, complexity, reported["numbers"])
    tables = {}
    for name, (title, prefixes) in TABLES.items():
        mine = [r for r in rows if r["owner"].startswith(prefixes)]
        tables[name] = {"title": title, "rows": mine}
    covered = {r["key"] for t in tables.values() for r in t["rows"]}
    missing = set(reported["numbers"]) - covered
    if missing:
        raise ValueError(f"numbers of paper/reported.yaml in no table: {sorted(missing)}")
    tables["low_confidence_sweep"] = sweep_table(runs, reported["numbers"])
    for name, t in tables.items():
        for r in t["rows"]:
            blank = [c for c, v in r.items() if c not in ("key", "value", "owner") and (v is None or v == "")]
            if blank:
                raise ValueError(f"table {name}: row {r.get('quantity')!r} has no value in {blank}")
    return tables


def _md(rows: list[dict], cols: list[str]) -> str:
    esc = lambda v: str(v).replace("|", "\\|")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    return "\n".join(lines + ["| " + " | ".join(esc(r[c]) for c in cols) + " |" for r in rows]) + "\n"


TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#",
               "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
               "^": r"\textasciicircum{}", "±": r"$\pm$"}


def _tex(rows: list[dict], cols: list[str], title: str) -> str:
    esc = lambda v: "".join(TEX_ESCAPES.get(ch, ch) for ch in str(v))
    head = " & ".join(esc(c) for c in cols)
    body = "\n".join(" & ".join(esc(r[c]) for c in cols) + r" \\" for r in rows)
    return (f"% {title}\n\\begin{{tabular}}{{{'l' * len(cols)}}}\n\\hline\n{head} \\\\\n\\hline\n"
            f"{body}\n\\hline\n\\end{{tabular}}\n")


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_tables(tables: dict, out_dir: str | Path) -> list[Path]:
    """<name>.csv/.md/.tex per table and tables.json (all of them, for the report); paths written."""
    import csv
    import io
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, t in tables.items():
        cols = [c for c in COLUMNS if c in t["rows"][0]] if "key" in t["rows"][0] else list(t["rows"][0])
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(t["rows"])
        shown = [c for c in cols if c not in ("where", "measured_as")]
        for ext, text in (("csv", buf.getvalue()), ("md", f"**{t['title']}**\n\n" + _md(t["rows"], shown)),
                          ("tex", _tex(t["rows"], shown, t["title"]))):
            _atomic(out / f"{name}.{ext}", text)
            written.append(out / f"{name}.{ext}")
    _atomic(out / "tables.json", json.dumps(tables, indent=2) + "\n")
    return written + [out / "tables.json"]
