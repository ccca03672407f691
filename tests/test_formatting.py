"""One formatter for p-values and mean ± sd: every study table and sentence prints an underflowed
p the same way."""
import math

from wrongnumber.analysis import formatting as f
from wrongnumber.artifacts import extension, xai


def test_p_values_print_alike_in_cells_and_sentences():
    assert f.p_number(0.03124) == "0.0312" and f.p_number(0.03124, 2) == "0.031"
    assert f.p_number(0.0) == "< 1e-300" and f.p_number(math.nan) == "n/a" and f.p_number(None) == "n/a"
    assert f.p_value(0.03124) == "p = 0.031"
    assert f.p_value(0.0) == "p < 1e-300" and f.p_value(math.nan) == "p n/a"


def test_every_study_table_prints_an_underflowed_p_the_same():
    assert extension._p({"p_value": 0.0}) == f.p_number(0.0) == "< 1e-300"
    assert extension._p({"p_value": math.nan}) == "n/a"


def test_mean_pm_sd():
    assert f.pm(0.41234, 0.0312, 3) == "0.412 ± 0.031"
    assert f.pm(97.5, math.nan, 2) == "97.50"
    assert f.pm_vs_paper({"mean": 97.5, "sd": 0.5, "diff": -0.25}) == "97.50 ± 0.50 (-0.25)"
    assert xai._fmt({"mean": 0.5, "sd": math.nan}) == "0.500"
    assert extension._pm({"mean": 1.0, "sd": math.nan}, 2) == "1.00 (n=1)"
