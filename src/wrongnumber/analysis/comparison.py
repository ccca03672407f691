"""Table 1's comparison and the other numbers of paper/reported.yaml: each regenerated number
set against the paper's, with its verdict.

Every row: the paper's value, ours (mean over seeds, ± sample std when n > 1), the signed
difference and a verdict: on the paper's data, |ours - paper| <= tolerance -> "reproduced";
on other data no verdict applies ("not assessed (unofficial data)"). Wall times measured on other
hardware are "not comparable" (derived rows give the per-image speed ratio), settings the paper
states (dataset sizes, the subset share) are compared but never "reproduced", and rows derived
from a printed number carry no verdict. `artifacts.tables` lays the rows out as the report's tables.
"""
from __future__ import annotations

import math
import statistics
from pathlib import Path

import yaml

from . import formatting as f
from ..core.evaluate import TABLE1_KEYS
from .claims import DEFAULT_PROTOCOL
from .readings import prediction_interval_half_width

# Verdicts of one printed number, and the colour (style) each gets in the report: only a real
# comparison on the paper's data is green or red; everything else is neutral.
REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"
UNOFFICIAL = "not assessed (unofficial data)"
NOT_COMPARABLE = "not comparable (different hardware)"
NOT_RUN = "not assessed (decision seeds not run)"
SETTING_SAME, SETTING_DIFFERS = "setting: same as the paper's", "setting: differs from the paper's"
DERIVED = "(derived)"  # key of a row computed from a paper number rather than printed in the paper
NO_VERDICT = "derived: no verdict"
STYLE = {REPRODUCED: "pass", NOT_REPRODUCED: "fail", NO_VERDICT: "derived"}  # any other verdict: "none"
PAPER_TEST_IMAGES = 10_000  # the official MNIST test set behind Table 1's counts
DIFF_UNIT = {"%": "pp"}  # a difference of two percentages is in percentage points


def load_reported(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def verdict(spec: dict, value: float, official: bool = True, half_width: float = 0.0, decided: bool = True) -> str:
    """The verdict of one number by the report's one noise standard: within the 95 % prediction
    interval of one more decision-seed run (`half_width`, 0 for a number without seed noise)
    widened by the paper's printing precision (`tolerance`), on the paper's data; settings and
    other hardware are never a reproduction; without the decision seeds no verdict applies."""
    if spec.get("comparison") == "hardware":
        return NOT_COMPARABLE
    within = abs(value - spec["value"]) <= half_width + spec["tolerance"] + 1e-9
    if spec.get("comparison") == "setting":
        return SETTING_SAME if within else SETTING_DIFFERS
    if not official:
        return UNOFFICIAL
    if not decided:
        return NOT_RUN
    return REPRODUCED if within else NOT_REPRODUCED


def _ours(mean: float, std: float | None, n: int, unit: str) -> str:
    """Mean ± sd over seeds; counts of images as whole numbers ('9,840 ± 32 images (6 seeds)')."""
    if unit == "images":
        sd = f" ± {std:,.0f}" if std is not None and n > 1 else ""
        return f"{mean:,.0f}{sd} images" + (f" ({n} seeds)" if n > 1 else "")
    return f.spread(mean, std, n, unit)


def compare(key: str, spec: dict, values: list[float], quantity: str, measured_as: str,
            official: bool = True, per: int | None = None, seeds: list[int] | None = None,
            decision: bool = True, shown: tuple[list[int], list[float]] | None = None,
            protocol: dict = DEFAULT_PROTOCOL) -> dict:
    """One comparison row; `values` are the regenerated numbers, one per seed (`seeds`; the
    decision seeds when `decision`, else the seeds present, shown without a verdict). `shown`:
    the seeds that chose the defaults and their values, printed beside. `per`: the counts are
    over `per` test images, not the paper's 10,000: they are compared per 10,000."""
    if not values or any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
        raise ValueError(f"{key}: no regenerated value ({measured_as})")
    unit = spec["unit"]
    scale = (lambda vs: [v * PAPER_TEST_IMAGES / per for v in vs]) if per else (lambda vs: list(vs))
    scaled = scale(values)
    mean = statistics.fmean(scaled)
    std = statistics.stdev(scaled) if len(scaled) > 1 else None
    shown_unit = f.PER_10K if per else unit
    ours = _ours(mean, std, len(scaled), shown_unit)
    if per:
        ours += f" ({f.number(statistics.fmean(values), unit, 0 if unit == 'images' else None)} of {per:,})"
    label = _seed_label(seeds, decision, protocol)
    if label:
        ours = f"{label}: {ours}"
    half = prediction_interval_half_width(std, len(scaled)) if std is not None else 0.0
    du = f.PER_10K if per else DIFF_UNIT.get(unit, unit)
    if spec.get("comparison") == "hardware":
        difference = "not comparable: other hardware and data (per-image speed below)"
    elif seeds is not None and len(values) < 2:
        difference = f"{f.signed(mean - spec['value'], du)} (one seed: its noise unknown)"
    else:
        width = (half if math.isfinite(half) else 0.0) + spec["tolerance"]
        difference = (f"{f.signed(mean - spec['value'], du)} (95 % prediction interval of one more seed and "
                      f"printing precision: ±{f.number(width, du, f.DECIMALS.get(unit, 2))})")
    v = verdict(spec, mean, official, half if math.isfinite(half) else math.inf, decision)
    row = {"key": key, "quantity": quantity, "paper": f.number(spec["value"], unit),
           "ours": ours, "difference": difference, "verdict": v, "style": STYLE.get(v, "none"),
           "measured_as": measured_as, "where": spec["where"],
           "value": mean, "n": len(values), "owner": key}
    if shown and shown[1]:
        vals = scale(shown[1])
        row["shown"] = (f"{_seed_label(shown[0], False, protocol)}: "
                        + _ours(statistics.fmean(vals), statistics.stdev(vals) if len(vals) > 1 else None, len(vals), shown_unit))
    return row


def _seed_label(seeds, decision: bool, protocol: dict) -> str:
    if not seeds:
        return ""
    text = f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)) \
        else ", ".join(map(str, seeds))
    return f"seeds {text}" if decision else f"seeds {text} (chose the defaults, no verdict)" \
        if set(seeds) <= set(protocol["selection_seeds"]) else f"seeds {text} (no verdict)"


def derived(row: dict) -> dict:
    """A row computed from a printed number: shown under it, without a verdict of its own."""
    return dict(row, key=DERIVED, verdict=NO_VERDICT, style="derived")


def _select(runs, dataset: str, variant: str) -> list:
    chosen = [r for r in runs if r.dataset == dataset and r.variant == variant]
    if not chosen:
        raise ValueError(f"no finished run for {dataset}/{variant}: the paper's tables need both "
                         "datasets and both variants (config: data, variants)")
    return chosen


def _split(sel: list, protocol: dict) -> tuple[list, list, bool]:
    """(runs the row's value comes from, the other runs shown beside, whether these are the
    decision seeds): the decision seeds when every one of them is there, else the seeds present."""
    decision = [r for r in sel if r.seed in protocol["decision_seeds"]]
    if {r.seed for r in decision} == set(protocol["decision_seeds"]):
        return sorted(decision, key=lambda r: r.seed), sorted((r for r in sel if r not in decision), key=lambda r: r.seed), True
    return sorted(sel, key=lambda r: r.seed), [], False


def _seeded(key: str, spec: dict, sel: list, value, quantity: str, how: str, protocol: dict,
            per: int | None = None) -> dict:
    """A row whose number varies by seed: its value and verdict from the decision seeds only."""
    used, other, decision = _split(sel, protocol)
    return compare(key, spec, [value(r) for r in used], quantity, how, _official(used), per,
                   seeds=[r.seed for r in used], decision=decision,
                   shown=([r.seed for r in other], [value(r) for r in other]) if other else None, protocol=protocol)


def _official(runs) -> bool:
    return all(r.metrics["data"]["official"] for r in runs)


def _seeds(runs) -> str:
    return f"seeds {[r.seed for r in runs]}"


def _train_accuracy(run) -> tuple[float, str]:
    """Training accuracy at the restored epoch: eval mode on the training split (eval.json) when
    evaluated so, else the training loop's running accuracy, else the validation accuracy."""
    if run.eval.get("train_accuracy_eval") is not None:
        return 100 * run.eval["train_accuracy_eval"], "restored weights in eval mode on the run's training split (eval.json train_accuracy_eval)"
    row = run.metrics["history"][run.metrics["best_epoch"] - 1]
    if "train_accuracy" in row:
        return 100 * row["train_accuracy"], "running accuracy over the training batches of the restored epoch"
    return 100 * row["val_accuracy"], ("validation accuracy (held-out share of the training set) at "
                                       "the restored epoch; the run did not record a training accuracy")


TABLE1_FIELDS = {"test_accuracy": "Test accuracy", "true_predictions": "True predictions",
                 "false_predictions": "False predictions", "true_low_confidence": "True low confidence"}
EVAL_KEY = dict(zip(TABLE1_FIELDS, TABLE1_KEYS))  # reported.yaml's field -> eval.json's key


def comparison_rows(runs, complexity: dict, numbers: dict, source: dict,
                    protocol: dict = DEFAULT_PROTOCOL) -> list[dict]:
    """One row per number of reported.yaml (key order kept) plus derived rows under some;
    `numbers` and `source` are reported.yaml's (the source names the paper's device)."""
    rows = []
    for key, spec in numbers.items():
        head, *rest = key.split(".")
        if head in ("table1", "prose") and rest[-1] in TABLE1_FIELDS:
            variant, field = rest
            sel = _select(runs, "mnist", variant)
            scale = 100 if field == "test_accuracy" else 1
            value = lambda r, scale=scale, field=field: scale * r.eval[EVAL_KEY[field]]
            how = (f"eval.json {'accuracy x 100' if field == 'test_accuracy' else field} on "
                   f"{sel[0].eval['n_test']:,} MNIST test images, {_seeds(sel)}")
            if field == "true_low_confidence":
                how += f", threshold {sel[0].eval['low_confidence_threshold']:g}"
            n_test = {r.eval["n_test"] for r in sel}
            if len(n_test) > 1:
                raise ValueError(f"MNIST {variant} runs evaluated on different test sets: {sorted(n_test)}")
            per = n_test.pop() if field != "test_accuracy" and n_test != {PAPER_TEST_IMAGES} else None
            rows.append(_seeded(key, spec, sel, value, f"MNIST{variant} {TABLE1_FIELDS[field].lower()}", how, protocol, per))
        elif head == "prose" and rest[-1] == "train_accuracy":
            sel = _select(runs, "mnist", rest[0])
            rows.append(_seeded(key, spec, sel, lambda r: _train_accuracy(r)[0], f"MNIST{rest[0]} training accuracy",
                                f"{_train_accuracy(sel[0])[1]}, {_seeds(sel)}", protocol))
        elif head == "data":
            dataset, field = rest
            sel = [r for v in ("C", "R") for r in _select(runs, dataset, v)]
            vals = [(r.metrics["data"]["n_train"] + r.metrics["data"]["n_val"]) if field == "n_train"
                    else r.eval["n_test"] for r in sel]
            how = ("training + validation images" if field == "n_train" else "test images evaluated")
            what = "training images (train + validation)" if field == "n_train" else "test images"
            rows.append(compare(key, spec, sorted(set(vals)), f"{dataset.upper()} {what}",
                                f"{how} (distinct values over every run)", _official(sel)))
        elif head == "table2":
            rows += _complexity_rows(key, spec, complexity, rest[0])
        elif head == "timing":
            variant, field = rest
            sel = _select(runs, "mnist", variant)
            if field == "stopped_epoch":
                rows.append(_seeded(key, spec, sel, lambda r: r.metrics["stopped_epoch"],
                                    f"MNIST{variant} epochs run (early stop)",
                                    f"metrics.json stopped_epoch (epochs run; the restored epoch is best_epoch, "
                                    f"{', '.join(str(r.metrics['best_epoch']) for r in sel)}), {_seeds(sel)}", protocol))
            else:
                # the per-image speed assumes the paper trained on its whole training set each epoch
                rows += _timing_rows(key, spec, _split(sel, protocol)[0], variant, source,
                                     numbers["data.mnist.n_train"]["value"])
        elif head == "fashion" and rest[-1] == "test_accuracy":
            sel = _select(runs, "fashion", rest[0])
            d = sel[0].metrics["data"]
            rows.append(_seeded(key, spec, sel, lambda r: 100 * r.eval["accuracy"],
                                f"FASHIONMNIST{rest[0]} test accuracy",
                                f"{d['n_test']:,} test images, trained on {d['n_train']:,} "
                                f"(subset={d['subset']}), {_seeds(sel)}", protocol))
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


COUNTED = {"params": ("parameters", "parameters of every layer (wrongnumber complexity)"),
           "macs": ("MACs per image", "multiply-accumulates of conv and linear layers per 28x28 image (forward hooks)"),
           "flops": ("FLOPs per image", None)}


def _complexity_rows(key: str, spec: dict, complexity: dict, name: str) -> list[dict]:
    """Table 2 row from `wrongnumber complexity`; FLOPs also under each counting convention."""
    scale = {"K": 1e3, "M": 1e6}[spec["unit"]]
    quantity, counted = COUNTED[name]
    counted = counted or f"{complexity['flops_counter']}. {complexity['reconciliation']['finding']}"
    rows = [compare(key, spec, [complexity[name] / scale], quantity, f"{complexity[name]:,}: {counted}")]
    if name == "flops":
        rows += [derived(compare(key, spec, [c["flops"] / scale], f"counted as: {c['name']}",
                                 "wrongnumber complexity reconciliation"))
                 for c in complexity["reconciliation"]["conventions"]]
    return rows


def _device(run) -> str:
    return run.timings["device_name"].replace("(1 threads)", "(1 thread)")


def _timing_rows(key: str, spec: dict, sel: list, variant: str, source: dict,
                 paper_images: int) -> list[dict]:
    """Total time (not comparable: other hardware), then derived rows: per epoch, per training
    image (the speed ratio, with its direction) and the device."""
    paper_epochs = spec["paper_epochs"]
    images = sel[0].timings["images_per_epoch"]
    seconds = [r.timings["total_seconds"] for r in sel]
    epochs = [len(r.timings["epoch_seconds"]) for r in sel]
    main = compare(key, spec, [s / 3600 for s in seconds], f"MNIST{variant} total training time",
                   f"timings.json total_seconds, {_seeds(sel)}, on {_device(sel[0])}")
    main.update(paper=f"{f.number(spec['value'], 'h')} ({paper_epochs} epochs of {paper_images:,} images)",
                ours=f"{f.duration(statistics.fmean(seconds))} ({f.number(statistics.fmean(epochs), 'epochs')} "
                     f"of {images:,} images)")
    paper_epoch_s = spec["value"] * 3600 / paper_epochs
    ours_epoch_s = statistics.fmean(s / e for s, e in zip(seconds, epochs))
    per_epoch = derived(dict(main, quantity=f"MNIST{variant} time per epoch", paper=f.duration(paper_epoch_s),
                             ours=f.duration(ours_epoch_s), difference="other hardware and data",
                             measured_as=f"total / epochs run; paper: {spec['value']} h / {paper_epochs} epochs"))
    paper_image, ours_image = paper_epoch_s / paper_images, ours_epoch_s / images
    per_image = derived(dict(main, quantity=f"MNIST{variant} time per training image",
                             paper=f"{f.number(1e3 * paper_image, 'ms')} (if {paper_images:,} images per epoch)",
                             ours=f.number(1e3 * ours_image, "ms"),
                             difference=f.times(ours_image, paper_image, variant, "per training image"),
                             measured_as="epoch time / training images per epoch"))
    device = derived(dict(main, quantity=f"MNIST{variant} device", paper=source["device"],
                          ours=", ".join(sorted({_device(r) for r in sel})), difference="other hardware",
                          measured_as="timings.json device_name",
                          where=source["device_where"]))
    return [main, per_epoch, per_image, device]
