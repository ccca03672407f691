"""Krippendorff's alpha of method rankings: hand-computed cases and the bootstrap interval."""
import numpy as np
import pandas as pd
import pytest

from wrongnumber.analysis.reliability import (alpha_table, bootstrap_alpha, krippendorff_alpha_of_rankings,
                                     rank_methods)


def noisy_scores(n_images, noise, seed=1):
    """Eight methods with true quality 0.1 .. 0.8, seen through per-image noise."""
    rng = np.random.default_rng(seed)
    return np.linspace(0.1, 0.8, 8) + rng.normal(0, noise, (n_images, 8))


def test_rank_methods_best_first_with_average_ties():
    assert rank_methods([[0.2, 0.2, 0.9]], higher_is_better=True).tolist() == [[2.5, 2.5, 1.0]]
    assert rank_methods([[0.2, 0.2, 0.9]], higher_is_better=False).tolist() == [[1.5, 1.5, 3.0]]
    assert rank_methods([[1.0, 1.0, 1.0]], True).tolist() == [[2.0, 2.0, 2.0]]
    with pytest.raises(ValueError, match="finite"):
        rank_methods([[0.1, np.nan]], True)


def test_rank_methods_equals_scipy_rankdata():
    stats = pytest.importorskip("scipy.stats")
    x = np.random.default_rng(0).integers(0, 3, (50, 6)).astype(float)  # many ties
    np.testing.assert_array_equal(rank_methods(x, False), stats.rankdata(x, axis=1))
    np.testing.assert_array_equal(rank_methods(x, True), stats.rankdata(-x, axis=1))


def test_identical_rankings_give_alpha_one():
    base = np.array([0.9, 0.1, 0.5, 0.7])
    scores = np.stack([base, 2 * base + 1, base ** 3, base - 5])  # different scales, same order
    assert krippendorff_alpha_of_rankings(scores, True) == pytest.approx(1.0)
    assert krippendorff_alpha_of_rankings(scores, False) == pytest.approx(1.0)


def test_hand_computed_cases():
    """Two images (raters) rank three methods (units). Ranks [1,2,3] and [1,3,2]: coincidences
    o_11 = 2, o_23 = o_32 = 2, every rank value used n_v = 2 times (n = 6); ordinal distances
    d(1,2) = d(2,3) = (2 + 2 - 2)^2 = 4, d(1,3) = (6 - 2)^2 = 16; alpha = 1 - (n - 1) sum o d /
    sum_{c != k} n_c n_k d = 1 - 5 * 16 / 192 = 7/12.
    Reversed ranks [1,2,3] and [3,2,1]: o_13 = o_31 = 2, o_22 = 2, so 1 - 5 * 64 / 192 = -2/3."""
    agree_on_best = [[0.9, 0.5, 0.1], [0.9, 0.1, 0.5]]
    assert krippendorff_alpha_of_rankings(agree_on_best, True) == pytest.approx(7 / 12)
    # The direction flag: negated scores with "lower is better" are the same ranking.
    assert krippendorff_alpha_of_rankings(-np.array(agree_on_best), False) == pytest.approx(7 / 12)
    opposite = [[0.9, 0.5, 0.1], [0.1, 0.5, 0.9]]
    assert krippendorff_alpha_of_rankings(opposite, True) == pytest.approx(-2 / 3)


def test_no_ordering_at_all_is_undefined():
    assert np.isnan(krippendorff_alpha_of_rankings(np.ones((5, 3)), True))
    assert all(np.isnan(v) for v in bootstrap_alpha(np.ones((5, 3)), True, n_boot=20))


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_bootstrap_brackets_alpha_and_is_seeded(method):
    scores = noisy_scores(60, 0.2)
    alpha, lo, hi = bootstrap_alpha(scores, True, n_boot=300, seed=0, method=method)
    assert alpha == pytest.approx(krippendorff_alpha_of_rankings(scores, True))
    assert lo < alpha < hi and 0 < alpha < 1
    assert bootstrap_alpha(scores, True, n_boot=300, seed=0, method=method) == (alpha, lo, hi)
    assert bootstrap_alpha(scores, True, n_boot=300, seed=1, method=method)[1:] != (lo, hi)
    # Less noise between images: higher agreement.
    assert bootstrap_alpha(noisy_scores(60, 0.05), True, n_boot=50, seed=0)[0] > hi


def test_bootstrap_of_perfect_agreement_has_no_spread():
    scores = np.tile([0.3, 0.1, 0.2], (10, 1))
    assert bootstrap_alpha(scores, False, n_boot=50, seed=0) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="method"):
        bootstrap_alpha(scores, False, method="studentized")


def test_alpha_table_from_the_long_scores_table():
    scores = noisy_scores(12, 0.3)
    methods = [f"m{j}" for j in range(8)]
    long = pd.DataFrame([{"method": m, "image": i, "metric": metric, "score": sign * scores[i, j]}
                         for metric, sign in (("insertion_auc", 1), ("deletion_auc", -1))
                         for i in range(12) for j, m in enumerate(methods)])
    table = alpha_table(long, {"insertion_auc": True, "deletion_auc": False, "absent": True}, n_boot=50)
    assert table["metric"].tolist() == ["insertion_auc", "deletion_auc"]
    expected = bootstrap_alpha(scores, True, n_boot=50, seed=0)
    for _, row in table.iterrows():  # the same ranking either way round
        assert (row.alpha, row.lo, row.hi) == pytest.approx(expected)
        assert (row.n_images, row.n_methods) == (12, 8)
