"""Run names: a training variant plus the options it overrides, spelled into the run's path
(layout.py places it).

    run name = C | R, then "+option=value" for every option that differs from the config's
               `train` section (or the dataset's `subset`, `subset_fraction`), keys sorted:
    e.g. R, R+cam_target=label, R+contrastive_weight=0.1+pair_label=prediction_correct,
         C+subset=pooled, C+classification_loss=focal

The name *is* the run's specification, relative to the workflow config, so every study that
asks for the same options asks for the same folder: the readings grid, the extension and the
explanation study share their default C and R runs with the paper's tables instead of
training them again. Names are canonical (sorted keys, no option equal to its base value,
values spelled by `format_value`); a hand-typed name that is not gets an error saying how to
spell it.

Torch-free on purpose: the Snakefile imports it at parse time.
"""
from __future__ import annotations

import math
import re

VARIANTS = ("C", "R")
DATASETS = ("mnist", "fashion")
SEP, EQ = "+", "="
DATA_OPTIONS = ("subset", "subset_fraction")   # per-dataset options a run may override
NAME_REGEX = r"[CR](\+[a-z_]+=[A-Za-z0-9_.\-]+)*"  # Snakemake wildcard constraint


class RunNameError(ValueError):
    """A run name that does not parse, names an unknown option, or is not canonical."""


def format_value(value) -> str:
    """Canonical spelling: strings as they are, numbers in their shortest form (an integral
    value without a decimal point, whatever its type: 10 and 10.0 are both '10'; 0.1, 2.5e-05)."""
    if isinstance(value, bool):
        raise RunNameError(f"boolean options cannot be spelled in a run name: {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RunNameError(f"a run name cannot carry the non-finite value {value!r}")
        return str(int(value)) if value == int(value) and abs(value) < 1e16 else repr(value)
    return str(value)


def _parse_value(key: str, text: str, base_value):
    """A number where the option's base value is one (an integer literal as int, else float:
    the type of a YAML value says nothing of the option's, `1` may stand for 1.0), else text.
    The option's own type is enforced by `wrongnumber train`'s parser."""
    if isinstance(base_value, bool):
        raise RunNameError(f"option {key!r} is boolean and cannot be overridden in a run name")
    if isinstance(base_value, (int, float)):
        try:
            return int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            raise RunNameError(f"run name option {key}={text!r}: expected a number") from None
    return text


def run_name(variant: str, overrides: dict | None = None, base: dict | None = None) -> str:
    """The canonical name of `variant` with `overrides` relative to `base` (the options a run
    without overrides gets); overrides equal to their base value are dropped."""
    if variant not in VARIANTS:
        raise RunNameError(f"variant must be one of {VARIANTS}, got {variant!r}")
    base = base or {}
    parts = [variant]
    for key in sorted(overrides or {}):
        value = overrides[key]
        if key in base and _same(value, base[key]):
            continue
        parts.append(f"{key}{EQ}{format_value(value)}")
    name = SEP.join(parts)
    if not re.fullmatch(NAME_REGEX, name):
        raise RunNameError(f"run name {name!r} has characters a path cannot carry; values may use "
                           "letters, digits, '_', '.', '-'")
    return name


def overrides_of(name: str) -> str:
    """The overrides part of a run name ("" for a bare C or R): what pairs an R run with its C."""
    return name.partition(SEP)[2]


def parse_run_name(name: str, base: dict) -> tuple[str, dict]:
    """(variant, {option: typed value}) of a canonical run name; `base` = the options of a run
    without overrides (the config's `train` section plus the dataset's subset options)."""
    if not re.fullmatch(NAME_REGEX, name):
        raise RunNameError(f"run name {name!r}: expected C or R, then +option=value pairs "
                           f"(e.g. R+cam_target=label)")
    variant, *pairs = name.split(SEP)
    overrides = {}
    for pair in pairs:
        key, _, text = pair.partition(EQ)
        if key not in base:
            raise RunNameError(f"run name {name!r}: unknown option {key!r}; options a run name may "
                               f"set: {', '.join(sorted(base))}")
        overrides[key] = _parse_value(key, text, base[key])
    canonical = run_name(variant, overrides, base)
    if canonical != name:
        raise RunNameError(f"run name {name!r} is not canonical: write it as {canonical!r} "
                           "(keys sorted, no option equal to the config's value)")
    return variant, overrides


def base_options(config: dict, dataset: str) -> dict:
    """The options of a run without overrides in the workflow config: its `train` section plus
    the dataset's `subset` and `subset_fraction` (what parse_run_name and run_name take)."""
    d = config["data"][dataset]
    return dict(config["train"], **{k: d[k] for k in DATA_OPTIONS})


def bases(config: dict) -> dict:
    """{dataset: base_options} for every dataset of the workflow."""
    return {d: base_options(config, d) for d in DATASETS}


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def rename(name: str, old_base: dict, new_base: dict) -> str:
    """The name the same run has under another config: `name` resolved against `old_base`,
    spelled against `new_base` (what changing a config's train defaults does to a run's folder)."""
    missing = sorted(set(old_base) ^ set(new_base))
    if missing:
        raise RunNameError(f"the two configs' train options differ in which options they set: {missing}")
    variant, overrides = parse_run_name(name, old_base)
    options = dict(old_base, **overrides)
    return run_name(variant, {k: v for k, v in options.items() if not _same(v, new_base[k])}, new_base)
