"""Benchmark reliability: do the images agree on how a metric ranks the CAM methods?

Gomez & Mouchère (arXiv:2311.17876) borrow inter-rater reliability from psychometrics: every
image is a *rater* that ranks the explanation methods (the *units*) by its metric score, and
Krippendorff's alpha at the ordinal level measures how much the raters agree,

    alpha = 1 - D_o / D_e     (observed over chance-expected disagreement of the ranks),

1 = every image ranks the methods the same way, 0 = no more agreement than chance. A benchmark
with a low alpha ranks methods differently on every image, so its mean-score ranking is fragile.
The confidence interval resamples images (raters) with replacement: a bias-corrected and
accelerated (BCa) bootstrap by default, as Gomez & Mouchère use (they report 99 %; 95 % here
unless asked).

One deliberate difference from their code: tied scores (common for the pointing game and the
increase in confidence, which take two values) get their average rank, not ranks broken by
method order, which would fake agreement between images that only tie.
"""
from __future__ import annotations

from statistics import NormalDist

import krippendorff
import numpy as np
import pandas as pd

CI_METHODS = ("bca", "percentile")


def rank_methods(scores, higher_is_better: bool) -> np.ndarray:
    """Ranks (n_images, n_methods) of each image's scores, 1 = best; ties share their mean rank."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or not np.isfinite(s).all():
        raise ValueError(f"scores must be a finite (n_images, n_methods) array, got shape {s.shape}")
    key = -s if higher_is_better else s
    ranks = np.empty_like(key)
    for i, row in enumerate(key):
        _, group, counts = np.unique(row, return_inverse=True, return_counts=True)
        last = np.cumsum(counts)                   # a tie group holds ranks last-count+1 .. last
        ranks[i] = (last - (counts - 1) / 2)[group]
    return ranks


def _alpha(ranks: np.ndarray) -> float:
    """Ordinal alpha with images (rows) as raters and methods (columns) as units; NaN when no
    image orders any method above another (alpha is then undefined: 0 / 0)."""
    if np.unique(ranks).size < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=ranks, level_of_measurement="ordinal"))


def krippendorff_alpha_of_rankings(scores, higher_is_better: bool) -> float:
    """Krippendorff's ordinal alpha of the methods' rankings; `scores` is (n_images, n_methods)."""
    return _alpha(rank_methods(scores, higher_is_better))


def bootstrap_alpha(scores, higher_is_better: bool, n_boot: int = 1000, seed: int = 0,
                    confidence: float = 0.95, method: str = "bca") -> tuple[float, float, float]:
    """(alpha, lo, hi): alpha and its `confidence` interval from `n_boot` resamples of the images
    (rows) with replacement, drawn by numpy's default_rng(seed).

    BCa (Efron & Tibshirani 1993, ch. 14) shifts the percentiles by the bias z0 and the
    jackknife acceleration a; "percentile" takes them as they are. Resamples whose alpha is
    undefined are dropped; a bootstrap distribution with no spread gives lo = hi = its value.
    """
    return bootstrap_mean_alpha([scores], higher_is_better, n_boot, seed, confidence, method)


def bootstrap_mean_alpha(score_sets, higher_is_better: bool, n_boot: int = 1000, seed: int = 0,
                         confidence: float = 0.95, method: str = "bca",
                         resample_models: bool = False) -> tuple[float, float, float]:
    """As `bootstrap_alpha`, for the mean alpha of several models (e.g. the seeds of one training
    variant) scored on the SAME images: every resample (and every jackknife deletion) picks the
    same image rows from each model's scores, so the interval is that of the seed-averaged alpha
    for the image sample, with the models held fixed.

    `resample_models`: every resample also draws the models with replacement (a two-level
    bootstrap), so the interval covers the model-to-model (seed) spread too; it is a percentile
    interval (the jackknife of BCa has no single meaning over two levels)."""
    if method not in CI_METHODS:
        raise ValueError(f"method must be one of {CI_METHODS}, got {method!r}")
    if resample_models and method == "bca":
        raise ValueError("resample_models=True gives a percentile interval: pass method='percentile'")
    sets = [rank_methods(s, higher_is_better) for s in score_sets]  # per image: rows resample
    if len({r.shape for r in sets}) != 1:
        raise ValueError(f"every model must score the same images and methods, got shapes "
                         f"{sorted({r.shape for r in sets})}")
    def stat(rows=None, models=None) -> float:
        chosen = sets if models is None else [sets[m] for m in models]
        values = [_alpha(r if rows is None else r[rows]) for r in chosen]
        return float(np.mean(values)) if all(np.isfinite(values)) else float("nan")
    theta = stat()
    if np.isnan(theta):
        return theta, theta, theta
    n, k = len(sets[0]), len(sets)
    rng = np.random.default_rng(seed)
    boot = np.array([stat(rng.integers(0, n, n), rng.integers(0, k, k) if resample_models else None)
                     for _ in range(n_boot)])
    boot = boot[np.isfinite(boot)]
    if boot.size == 0 or np.ptp(boot) == 0:
        value = boot[0] if boot.size else theta
        return theta, float(value), float(value)
    tails = np.array([(1 - confidence) / 2, (1 + confidence) / 2])
    if method == "bca":
        jack = np.array([stat(np.delete(np.arange(n), i)) for i in range(n)])
        tails = _bca_tails(jack, theta, boot, tails)
    lo, hi = np.quantile(boot, tails)
    return theta, float(lo), float(hi)


def _bca_tails(jack: np.ndarray, theta: float, boot: np.ndarray, tails: np.ndarray) -> np.ndarray:
    """BCa-adjusted quantile levels from the jackknife values `jack` (one per deleted image);
    the plain ones where z0 or a cannot be estimated."""
    normal = NormalDist()
    below = (np.sum(boot < theta) + 0.5 * np.sum(boot == theta)) / boot.size
    if not 0 < below < 1:
        return tails
    z0 = normal.inv_cdf(below)
    d = np.nanmean(jack) - jack[np.isfinite(jack)]
    denom = 6 * np.sum(d ** 2) ** 1.5
    accel = np.sum(d ** 3) / denom if denom > 0 else 0.0
    z = np.array([normal.inv_cdf(t) for t in tails])
    return np.array([normal.cdf(z0 + (z0 + zi) / (1 - accel * (z0 + zi))) for zi in z])


def alpha_table(table: pd.DataFrame, higher_is_better: dict[str, bool], n_boot: int = 1000,
                seed: int = 0, confidence: float = 0.95, method: str = "bca") -> pd.DataFrame:
    """One row per metric (alpha, lo, hi, n_images, n_methods) from the long scores table of
    `explain_metrics.evaluate_methods` (columns method, image, metric, score)."""
    rows = []
    for metric, better in higher_is_better.items():
        wide = table[table["metric"] == metric].pivot(index="image", columns="method", values="score")
        if wide.empty:
            continue
        alpha, lo, hi = bootstrap_alpha(wide.to_numpy(), better, n_boot, seed, confidence, method)
        rows.append({"metric": metric, "alpha": alpha, "lo": lo, "hi": hi,
                     "n_images": wide.shape[0], "n_methods": wide.shape[1]})
    return pd.DataFrame(rows, columns=["metric", "alpha", "lo", "hi", "n_images", "n_methods"])
