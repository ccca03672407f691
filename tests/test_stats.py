"""Seed statistics: known answers computed by hand, scipy cross-checks and degenerate inputs."""
import math

import numpy as np
import pytest
from scipy import stats as sps

from wrongnumber.analysis.stats import describe, mcnemar, paired_across_seeds, summarize

# Student's sleep data (Cushny & Peebles 1905): extra hours of sleep of 10 patients on two drugs.
# Textbook paired t-test (e.g. R's t.test(..., paired = TRUE)): t = -4.0621, df = 9, p = 0.002833.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def correctness(b: int, c: int, both: int = 50, neither: int = 5):
    """Per-sample correctness of two models with the given 2x2 table (a right/b wrong = b)."""
    a = [True] * b + [False] * c + [True] * both + [False] * neither
    bb = [False] * b + [True] * c + [True] * both + [False] * neither
    return np.array(a), np.array(bb)


def test_summarize_ci_of_1_2_3_by_hand():
    s = summarize([1, 2, 3])
    # t(0.975, df=2) in closed form: the t_2 CDF is 1/2 + q / (2 sqrt(2 + q^2)).
    q = math.sqrt(2 * 0.95**2 / (1 - 0.95**2))
    assert s["n"] == 3 and s["mean"] == 2 and s["sd"] == pytest.approx(1.0)
    assert s["half_width"] == pytest.approx(q / math.sqrt(3), rel=1e-12)
    assert s["ci95"] == pytest.approx((2 - q / math.sqrt(3), 2 + q / math.sqrt(3)), rel=1e-12)
    assert q == pytest.approx(4.303, abs=5e-4)  # the printed t-table value


def test_summarize_degenerate_inputs():
    one = summarize([0.98])
    assert one["n"] == 1 and one["mean"] == 0.98
    assert math.isnan(one["sd"]) and all(math.isnan(v) for v in one["ci95"])
    same = summarize(np.full(6, 0.5))
    assert same["sd"] == 0 and same["ci95"] == (0.5, 0.5)
    with pytest.raises(ValueError, match="at least one"):
        summarize([])


def test_mcnemar_exact_binomial_by_hand():
    a, b = correctness(b=10, c=2)
    r = mcnemar(a, b)
    # Two-sided exact: 2 * P(X <= 2), X ~ Bin(12, 1/2) = 2 * (1 + 12 + 66) / 4096.
    assert r["test"] == "McNemar (exact binomial)"
    assert (r["b"], r["c"], r["statistic"]) == (10, 2, 2.0)
    assert r["p_value"] == pytest.approx(158 / 4096, rel=1e-12)
    assert r["n"] == 67 and r["accuracy_a"] == pytest.approx(60 / 67)
    swapped = mcnemar(b, a)
    assert (swapped["b"], swapped["c"]) == (2, 10) and swapped["p_value"] == r["p_value"]


def test_mcnemar_chi_square_by_hand():
    a, b = correctness(b=30, c=10)
    r = mcnemar(a, b)
    stat = (abs(30 - 10) - 1) ** 2 / 40                     # 9.025
    assert r["test"] == "McNemar (chi-square, continuity-corrected)"
    assert r["statistic"] == pytest.approx(9.025)
    # Chi-square with 1 degree of freedom: P(X > s) = erfc(sqrt(s / 2)).
    assert r["p_value"] == pytest.approx(math.erfc(math.sqrt(stat / 2)), rel=1e-10)


def test_mcnemar_switches_to_chi_square_at_25_discordant_pairs():
    assert mcnemar(*correctness(b=20, c=4))["test"] == "McNemar (exact binomial)"
    assert mcnemar(*correctness(b=20, c=5))["test"].startswith("McNemar (chi-square")


def test_mcnemar_degenerate_inputs():
    a, _ = correctness(b=0, c=0)
    r = mcnemar(a, a)
    assert r["p_value"] == 1.0 and r["b"] == r["c"] == 0 and "no discordant" in r["note"]
    with pytest.raises(ValueError, match="same length"):
        mcnemar([True, False], [True])


def test_paired_t_test_textbook_sleep_data():
    r = paired_across_seeds(SLEEP_1, SLEEP_2)
    t = r["t_test"]
    assert t["test"] == "paired t-test (scipy.stats.ttest_rel)" and t["note"] is None
    assert t["statistic"] == pytest.approx(-4.0621, abs=5e-5)
    assert t["p_value"] == pytest.approx(0.002833, abs=5e-7)
    ref = sps.ttest_rel(SLEEP_1, SLEEP_2)
    assert (t["statistic"], t["p_value"]) == (pytest.approx(ref.statistic), pytest.approx(ref.pvalue))
    d = np.subtract(SLEEP_1, SLEEP_2)
    assert r["mean_difference"] == pytest.approx(-1.58)
    assert t["statistic"] == pytest.approx(d.mean() / (d.std(ddof=1) / math.sqrt(10)))


def test_wilcoxon_exact_by_hand_and_its_floor_with_few_seeds():
    # All differences positive: the most extreme of the 2^n sign patterns, two-sided p = 2 / 2^n.
    six = paired_across_seeds([0.99, 0.98, 0.97, 0.96, 0.95, 0.94], [0.90] * 6)["wilcoxon"]
    assert six["test"] == "Wilcoxon signed-rank (scipy.stats.wilcoxon)"
    assert six["statistic"] == 0 and six["p_value"] == pytest.approx(2 / 64) and six["note"] is None
    five = paired_across_seeds([0.99, 0.98, 0.97, 0.96, 0.95], [0.90] * 5)["wilcoxon"]
    assert five["p_value"] == pytest.approx(2 / 32)
    assert "smallest two-sided p is 0.0625" in five["note"]
    # A zero difference is dropped (zero_method="wilcox"): six seeds, five informative.
    tie = paired_across_seeds([0.99, 0.98, 0.97, 0.96, 0.95, 0.9], [0.90] * 6)["wilcoxon"]
    assert tie["p_value"] == pytest.approx(2 / 32) and "5 non-zero" in tie["note"]


def test_paired_degenerate_inputs():
    zero = paired_across_seeds([0.9] * 6, [0.9] * 6)
    assert zero["t_test"]["p_value"] == 1.0 and "all differences are zero" in zero["t_test"]["note"]
    assert zero["wilcoxon"]["p_value"] == 1.0 and "all differences are zero" in zero["wilcoxon"]["note"]
    const = paired_across_seeds([0.91, 0.92, 0.93], [0.90, 0.91, 0.92])
    assert const["t_test"]["note"].startswith("all differences are equal")
    one = paired_across_seeds([0.95], [0.90])
    assert math.isnan(one["t_test"]["p_value"]) and "at least 2" in one["t_test"]["note"]
    assert one["wilcoxon"]["p_value"] == pytest.approx(1.0) and math.isnan(one["sd_difference"])
    with pytest.raises(ValueError, match="equal length"):
        paired_across_seeds([1, 2], [1, 2, 3])


def test_describe_names_the_test_and_its_p_value():
    line = describe(mcnemar(*correctness(b=10, c=2)))
    assert line == "McNemar (exact binomial): b = 10, c = 2, p = 0.03857"
    line = describe(paired_across_seeds(SLEEP_1, SLEEP_2)["t_test"])
    assert line == "paired t-test (scipy.stats.ttest_rel): statistic = -4.062, p = 0.002833"


# ---- deciding a claim: Holm, t against a value, TOST, power ----

from wrongnumber.analysis.stats import holm, mcnemar_counts, power_t, power_tost, seeds_needed, t_against, tost  # noqa: E402


def test_holm_hand_worked():
    # sorted: 0.005 <= 0.05/4, 0.01 <= 0.05/3, 0.03 > 0.05/2 -> stop: 0.03 and 0.04 stay
    h = holm([0.01, 0.04, 0.03, 0.005])
    assert [x["rejected"] for x in h] == [True, False, False, True]
    assert [x["rank"] for x in h] == [2, 4, 3, 1]
    assert h[0]["level"] == pytest.approx(0.05 / 3) and h[1]["level"] == pytest.approx(0.05)
    # step-down: a later p below its own level is not rejected once one above failed
    assert [x["rejected"] for x in holm([0.03, 0.04, 0.001])] == [False, False, True]
    assert [x["rejected"] for x in holm([float("nan"), 0.001])] == [False, True]  # untestable = p 1


def test_t_against_matches_scipy_and_the_textbook_sleep_data():
    d = np.subtract(SLEEP_1, SLEEP_2)
    r = t_against(d)
    assert r["t"] == pytest.approx(-4.0621, abs=1e-4) and r["p_two_sided"] == pytest.approx(0.002833, abs=1e-6)
    assert r["p_less"] == pytest.approx(0.002833 / 2, abs=1e-6)
    shifted = t_against(d, -1.0)
    assert shifted["p_two_sided"] == pytest.approx(sps.ttest_1samp(d, -1.0).pvalue)
    assert t_against([1.0, 1.0, 1.0])["p_greater"] == 0.0 and t_against([0, 0, 0])["p_two_sided"] == 1.0


def test_tost_known_cases():
    rng = np.random.default_rng(0)
    tight = 0.2 + rng.normal(0, 0.05, 6)  # well inside +-1
    far = 3.0 + rng.normal(0, 0.05, 6)    # well beyond +1
    assert tost(tight, 1.0)["p_equivalent"] < 1e-6 and tost(tight, 1.0)["p_beyond"] == pytest.approx(1.0, abs=1e-6)
    assert tost(far, 1.0)["p_beyond"] < 1e-6 and tost(far, 1.0)["p_equivalent"] > 0.99
    # TOST p = the larger one-sided p: here the upper bound's
    d = np.array([0.5, 0.9, 0.7, 0.6, 0.8, 0.4])
    upper = sps.ttest_1samp(d, 1.0, alternative="less").pvalue
    assert tost(d, 1.0)["p_equivalent"] == pytest.approx(upper)


def test_power_matches_textbook_sample_sizes_and_simulation():
    # one-sample t, two-sided alpha 0.05, 80 % power: d = 0.5 needs 34, d = 1.0 needs 10 (Cohen; G*Power)
    assert seeds_needed(lambda n: power_t(0.5, n, 0.05)) == 34
    assert seeds_needed(lambda n: power_t(1.0, n, 0.05)) == 10
    assert seeds_needed(lambda n: power_t(0.0, n, 0.05)) is None
    rng = np.random.default_rng(1)
    sims = rng.normal(0.8, 1.0, (20_000, 8))
    hit = np.mean([abs(sps.ttest_1samp(x, 0).statistic) > sps.t.ppf(0.975, 7) for x in sims[:4000]])
    assert power_t(0.8, 8, 0.05) == pytest.approx(hit, abs=0.03)
    # TOST: simulated rejections of both one-sided tests at 0.05
    x = rng.normal(0.2, 0.5, (4000, 10))
    m, se = x.mean(1), x.std(1, ddof=1) / np.sqrt(10)
    tc = sps.t.ppf(0.95, 9)
    sim = np.mean(((m + 1) / se > tc) & ((m - 1) / se < -tc))
    assert power_tost(0.2, 0.5, 1.0, 10, 0.05) == pytest.approx(sim, abs=0.03)


def test_mcnemar_from_counts_equals_from_correctness():
    a, b = correctness(30, 12)
    full, counts = mcnemar(a, b), mcnemar_counts(30, 12)
    assert {k: full[k] for k in counts} == counts
