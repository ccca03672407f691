"""Statistics over the seeds of one (dataset, variant, backbone): summaries and paired tests.

The 2025 extension repeats every training over six random seed splits. Per cell we report
mean, standard deviation (n - 1 in the denominator) and a 95 % confidence interval from the
t-distribution, and compare R against C two ways:

* within one seed, on the same test images: McNemar's test on the per-sample correctness of
  the two models (only the images where exactly one of them is right carry information);
* across seeds, on one number per seed (accuracy, a CAM metric): the paired t-test and, as the
  check that does not assume normal differences, the Wilcoxon signed-rank test.

Plain functions on array-likes, returning dicts of Python numbers, so results go straight into
JSON. Every test result carries `test` (its name, as the report should print it), `statistic`,
`p_value` and `note` (why a degenerate case got the value it did; None otherwise).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
MCNEMAR_EXACT_BELOW = 25  # discordant pairs; below this the chi-square approximation is poor
SIGNIFICANCE = 0.05       # only used to say when a test cannot reach it with so few pairs


def summarize(values, confidence: float = CONFIDENCE) -> dict:
    """n, mean, sd (ddof=1) and the t confidence interval of the mean (95 % unless asked).

    ci95 = mean -/+ t((1 + confidence) / 2, n - 1) * sd / sqrt(n) (the key keeps its name at any
    level). With one value the spread is unknown, so sd and the interval are NaN (not 0, which
    would claim a precision nobody measured).
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("summarize needs at least one value")
    n, mean = int(x.size), float(x.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "sd": math.nan, "half_width": math.nan,
                "ci95": (math.nan, math.nan)}
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "half_width": half, "ci95": (mean - half, mean + half)}


def _bool_pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired samples must have the same length, got {a.size} and {b.size}")
    return a.astype(bool), b.astype(bool)


def mcnemar(correct_a, correct_b, exact_below: int = MCNEMAR_EXACT_BELOW) -> dict:
    """McNemar's test of two models' per-sample correctness on the same test images.

    b = images model A gets right and model B wrong, c = the reverse. Under the null (equal
    accuracy) each discordant image is a fair coin, so:

    * b + c < `exact_below`: exact two-sided binomial test of b ~ Bin(b + c, 1/2)
      (scipy.stats.binomtest); `statistic` = min(b, c);
    * otherwise: chi-square with continuity correction, (|b - c| - 1)^2 / (b + c) on 1 degree
      of freedom (scipy.stats.chi2).

    With no discordant images the models agree everywhere: p = 1.
    """
    a, b_ = _bool_pair(correct_a, correct_b)
    b, c = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
    n_disc = b + c
    out = {"n": int(a.size), "accuracy_a": float(a.mean()) if a.size else math.nan,
           "accuracy_b": float(b_.mean()) if a.size else math.nan, "b": b, "c": c, "note": None}
    if n_disc < exact_below:
        out["test"] = "McNemar (exact binomial)"
        out["statistic"] = float(min(b, c))
        if n_disc == 0:
            out["p_value"] = 1.0
            out["note"] = "no discordant pairs: both models are right on exactly the same images"
        else:
            out["p_value"] = float(stats.binomtest(b, n_disc, 0.5).pvalue)
    else:
        out["test"] = "McNemar (chi-square, continuity-corrected)"
        out["statistic"] = (abs(b - c) - 1) ** 2 / n_disc
        out["p_value"] = float(stats.chi2.sf(out["statistic"], df=1))
    return out


def _paired_t(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> dict:
    out = {"test": "paired t-test (scipy.stats.ttest_rel)", "note": None}
    if d.size < 2:
        return {**out, "statistic": math.nan, "p_value": math.nan,
                "note": f"needs at least 2 pairs, got {d.size}"}
    if np.all(d == 0):
        return {**out, "statistic": math.nan, "p_value": 1.0,
                "note": "all differences are zero: no evidence of a difference (t is 0/0)"}
    if np.all(d == d[0]):  # scipy would divide by a rounding-noise variance here
        return {**out, "statistic": math.copysign(math.inf, d[0]), "p_value": 0.0,
                "note": "all differences are equal: zero spread makes t infinite and p = 0"}
    r = stats.ttest_rel(a, b)
    return {**out, "statistic": float(r.statistic), "p_value": float(r.pvalue)}


def _wilcoxon(d: np.ndarray) -> dict:
    """Wilcoxon signed-rank on the differences; zero differences are dropped (zero_method='wilcox')."""
    out = {"test": "Wilcoxon signed-rank (scipy.stats.wilcoxon)", "note": None}
    m = int(np.count_nonzero(d))
    if m == 0:
        return {**out, "statistic": math.nan, "p_value": 1.0,
                "note": "all differences are zero: no evidence of a difference"}
    r = stats.wilcoxon(d, zero_method="wilcox")
    out.update(statistic=float(r.statistic), p_value=float(r.pvalue))
    floor = 2 / 2 ** m  # every sign the same: the most extreme of the 2^m sign patterns, twice
    if floor > SIGNIFICANCE:
        out["note"] = (f"with {m} non-zero differences the exact test's smallest two-sided p is "
                       f"{floor:.4g} > {SIGNIFICANCE}: too few pairs to reject at that level")
    return out


def paired_across_seeds(a, b) -> dict:
    """Paired tests of per-seed values a[i] vs b[i] (e.g. R vs C accuracy of seed i).

    Returns n, mean and sd of d = a - b, and the two tests under `t_test` and `wilcoxon`.
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"paired samples must be non-empty and of equal length, got {a.size}, {b.size}")
    d = a - b
    return {"n": int(d.size), "mean_difference": float(d.mean()),
            "sd_difference": float(d.std(ddof=1)) if d.size > 1 else math.nan,
            "t_test": _paired_t(a, b, d), "wilcoxon": _wilcoxon(d)}


def describe(result: dict) -> str:
    """One line naming the test and its p-value, e.g. for the report."""
    counts = (f"b = {result['b']}, c = {result['c']}" if "b" in result
              else f"statistic = {result['statistic']:.4g}")
    note = f" ({result['note']})" if result["note"] else ""
    return f"{result['test']}: {counts}, p = {result['p_value']:.4g}{note}"
