"""How the report writes a number: one precision per unit, the unit always, thousands separators.

Every table cell, scoreboard line and caption goes through these functions, so "98.44 %",
"−0.73 pp", "9,844 images" and "R is 95× faster per training image than the paper's run" read
the same everywhere. A difference of two percentages is in percentage points (pp), never "%".
"""
from __future__ import annotations

import math

PER_10K = "per 10,000"  # counts put on the scale of the paper's 10,000 test images
DECIMALS = {"%": 2, "pp": 2, "K": 2, "M": 2, "h": 2, "min": 1, "s": 1, "ms": 2,
            "images": 0, "epochs": 0, "parameters": 0, PER_10K: 0, "": 3}
COUNTS = ("images", "epochs")  # whole numbers: a mean over seeds gets one decimal
MINUS = "\u2212"  # typographic minus: "−0.73 pp" lines up with "+0.73 pp"


def _decimals(unit: str, value: float) -> int:
    d = DECIMALS.get(unit, 2)
    return 1 if unit in COUNTS and value != round(value) else d


def _num(value: float, d: int, sign: bool = False) -> str:
    text = f"{value:{'+' if sign else ''},.{d}f}"
    return text.replace("-", MINUS)


def _with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if unit else text


def number(value: float, unit: str, decimals: int | None = None) -> str:
    """9844 'images' -> '9,844 images'; 98.44 '%' -> '98.44 %'."""
    d = _decimals(unit, value) if decimals is None else decimals
    return _with_unit(_num(value, d), unit)


def signed(value: float, unit: str, decimals: int | None = None) -> str:
    """A difference: -0.726 'pp' -> '−0.73 pp'; 73 'images' -> '+73 images'."""
    d = _decimals(unit, value) if decimals is None else decimals
    return _with_unit(_num(value, d, sign=True), unit)


def spread(mean: float, sd: float | None, n: int, unit: str) -> str:
    """Mean over seeds: '97.50 ± 0.71 % (3 seeds)'; one value: '97.50 %'."""
    d = _decimals(unit, mean)
    if n < 2 or sd is None or not math.isfinite(sd):
        return number(mean, unit, d)
    return f"{_num(mean, d)} ± {_num(sd, d if unit == PER_10K else max(d, 1))}{' ' + unit if unit else ''} ({n} seeds)"


def duration(seconds: float) -> str:
    """Wall time in the unit that keeps it readable: '12.3 s', '4.5 min', '18.88 h'."""
    if seconds < 120:
        return number(seconds, "s")
    if seconds < 3600:
        return number(seconds / 60, "min")
    return number(seconds / 3600, "h")


def times(ours: float, paper: float, subject: str, per: str) -> str:
    """Speed against the paper as a ratio with its direction, from per-unit costs (lower =
    faster): 'R is 95× faster per training image than the paper's run'."""
    if ours <= 0 or paper <= 0:
        return f"{subject}: not measurable (0 s)"
    r = paper / ours
    word, r = ("faster", r) if r >= 1 else ("slower", 1 / r)
    text = f"{r:,.0f}" if r >= 100 else f"{r:.3g}"
    return f"{subject} is {text}× {word} {per} than the paper's run"


def p_number(p: float | None, digits: int = 3) -> str:
    """A p-value in a table cell: '0.0312'; '< 1e-300' when it underflowed to 0 (a tiny p, not
    a p of 0); 'n/a' when undefined (fewer than two seeds, no discordant pairs)."""
    if p is None or not math.isfinite(p):
        return "n/a"
    return "< 1e-300" if p == 0 else f"{p:.{digits}g}"


def p_value(p: float | None, digits: int = 2) -> str:
    """A p-value in a sentence: 'p = 0.031', 'p < 1e-300', 'p n/a'."""
    text = p_number(p, digits)
    return f"p {text}" if text in ("n/a", "< 1e-300") else f"p = {text}"


def pm(mean: float, sd: float, decimals: int) -> str:
    """A study table's mean over seeds: '0.412 ± 0.031'; the mean alone when sd is undefined."""
    return f"{mean:.{decimals}f}" + (f" ± {sd:.{decimals}f}" if math.isfinite(sd) else "")


def pm_vs_paper(s: dict, decimals: int = 2) -> str:
    """A seed summary against the paper (readings.against_paper's dict): '98.40 ± 0.32 (-0.04)'."""
    return f"{pm(s['mean'], s['sd'], decimals)} ({s['diff']:+.{decimals}f})"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
