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
    """McNemar's test from per-sample correctness; see `mcnemar_counts`."""
    a, b_ = _bool_pair(correct_a, correct_b)
    out = mcnemar_counts(int(np.sum(a & ~b_)), int(np.sum(~a & b_)), exact_below)
    out.update(n=int(a.size), accuracy_a=float(a.mean()) if a.size else math.nan,
               accuracy_b=float(b_.mean()) if a.size else math.nan)
    return out


def mcnemar_counts(b: int, c: int, exact_below: int = MCNEMAR_EXACT_BELOW) -> dict:
    """McNemar's test of two models' per-sample correctness on the same test images.

    b = images model A gets right and model B wrong, c = the reverse. Under the null (equal
    accuracy) each discordant image is a fair coin, so:

    * b + c < `exact_below`: exact two-sided binomial test of b ~ Bin(b + c, 1/2)
      (scipy.stats.binomtest); `statistic` = min(b, c);
    * otherwise: chi-square with continuity correction, (|b - c| - 1)^2 / (b + c) on 1 degree
      of freedom (scipy.stats.chi2).

    With no discordant images the models agree everywhere: p = 1. Only b and c matter, so the
    test is recomputable from the two counts alone (claims.json keeps them per seed).
    """
    b, c = int(b), int(c)
    n_disc = b + c
    out = {"b": b, "c": c, "note": None}
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


# ---- deciding a claim: Holm, tests against a reference value, TOST, power ----

def holm(p_values, alpha: float = SIGNIFICANCE) -> list[dict]:
    """Holm's step-down procedure over one family: for each p (input order) its rank (1 =
    smallest), its level alpha / (m - rank + 1) and whether it is rejected. Sorted ascending,
    the k-th is rejected when it and every smaller p are below their levels (ties: input order)."""
    p = [1.0 if (x is None or not math.isfinite(x)) else float(x) for x in p_values]
    m = len(p)
    order = sorted(range(m), key=lambda i: (p[i], i))
    out, still = [None] * m, True
    for k, i in enumerate(order, 1):
        level = alpha / (m - k + 1)
        still = still and p[i] <= level
        out[i] = {"p_value": p[i], "rank": k, "level": level, "rejected": still}
    return out


def t_against(d, value: float = 0.0) -> dict:
    """One-sample t-test of the per-seed values d against `value` (paired differences: R - C
    of each seed against 0): n, mean, sd, t, df and the p-values two-sided, `greater` (mean >
    value) and `less`. Zero spread: t is +-inf (p 0 on that side) or 0/0 (p 1)."""
    d = np.asarray(d, dtype=np.float64).ravel()
    n = int(d.size)
    out = {"n": n, "mean": float(d.mean()) if n else math.nan,
           "sd": float(d.std(ddof=1)) if n > 1 else math.nan, "value": float(value), "df": n - 1}
    if n < 2:
        return {**out, "t": math.nan, "p_two_sided": math.nan, "p_greater": math.nan, "p_less": math.nan}
    diff, sd = out["mean"] - value, out["sd"]
    if sd == 0 or np.all(d == d[0]):  # scipy would divide by a rounding-noise variance
        t = math.copysign(math.inf, diff) if diff else math.nan
        up = 0.0 if diff > 0 else 1.0
        lo = 0.0 if diff < 0 else 1.0
        return {**out, "t": t, "p_two_sided": min(1.0, 2 * min(up, lo)), "p_greater": up, "p_less": lo}
    t = diff / (sd / math.sqrt(n))
    up, lo = float(stats.t.sf(t, n - 1)), float(stats.t.cdf(t, n - 1))
    return {**out, "t": float(t), "p_two_sided": min(1.0, 2 * min(up, lo)), "p_greater": up, "p_less": lo}


def tost(d, margin: float) -> dict:
    """Two one-sided tests of equivalence of the per-seed values d within +-margin:
    `p_equivalent` = max(p(mean > -margin), p(mean < +margin)); `p_beyond` = twice the smaller of
    p(mean > +margin) and p(mean < -margin) (the opposite: a difference beyond the margin, on
    whichever side)."""
    lower, upper = t_against(d, -margin), t_against(d, margin)
    out = {"n": lower["n"], "mean": lower["mean"], "sd": lower["sd"], "margin": float(margin)}
    if lower["n"] < 2:
        return {**out, "p_equivalent": math.nan, "p_beyond": math.nan}
    return {**out, "p_equivalent": max(lower["p_greater"], upper["p_less"]),
            "p_beyond": min(1.0, 2 * min(upper["p_greater"], lower["p_less"]))}


def power_t(effect: float, n: int, alpha: float) -> float:
    """Power of the two-sided one-sample (paired) t-test at level alpha with n seeds when the true
    mean / sd is `effect`: P(|T'| > t(1 - alpha/2, n - 1)), T' noncentral t with nc effect*sqrt(n)."""
    if n < 2:
        return 0.0
    df, nc = n - 1, effect * math.sqrt(n)
    tc = float(stats.t.ppf(1 - alpha / 2, df))
    return float(stats.nct.sf(tc, df, nc) + stats.nct.cdf(-tc, df, nc))


def power_tost(mean: float, sd: float, margin: float, n: int, alpha: float) -> float:
    """Power of TOST at level alpha with n seeds, true mean and sd: the usual bound
    P(T'_upper < -t) - P(T'_lower <= t), t = t(1 - alpha, n - 1) (0 when negative)."""
    if n < 2 or sd <= 0:
        return float(abs(mean) < margin) if n >= 2 else 0.0
    df, se = n - 1, sd / math.sqrt(n)
    tc = float(stats.t.ppf(1 - alpha, df))
    p = stats.nct.cdf(-tc, df, (mean - margin) / se) - stats.nct.cdf(tc, df, (mean + margin) / se)
    return max(0.0, float(p))


def seeds_needed(power_at, target: float = 0.8, start: int = 2, limit: int = 1000) -> int | None:
    """The smallest n in [start, limit] with power_at(n) >= target, or None (not within limit)."""
    def enough(n: int) -> bool:  # scipy's noncentral t can return NaN far in the tail: power ~ 1 there
        p = power_at(n)
        return bool(p >= target or math.isnan(p))
    hi = start
    while not enough(hi):  # power grows with n for these tests: double, then bisect
        if hi >= limit:
            return None
        hi = min(2 * hi, limit)
    lo = max(start, hi // 2)
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid + 1, hi)
    return lo
