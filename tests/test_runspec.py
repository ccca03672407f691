"""Run names: canonical, typed, and refused with a fix when hand-typed wrongly."""
import pytest

from wrongnumber.plan.runspec import RunNameError, base_options, format_value, parse_run_name, run_name

BASE = {"cam_target": "prediction", "margin": 2.0, "patience": 3, "contrastive_weight": 1.0,
        "pair_label": "always_similar", "subset": "none", "subset_fraction": 0.15}


def test_round_trip_with_sorted_keys_and_numbers_parsed():
    name = run_name("R", {"pair_label": "prediction_correct", "margin": 10.0, "patience": 5}, BASE)
    assert name == "R+margin=10+pair_label=prediction_correct+patience=5"
    variant, over = parse_run_name(name, BASE)
    assert variant == "R" and over == {"margin": 10.0, "pair_label": "prediction_correct", "patience": 5}
    assert isinstance(over["patience"], int)  # numbers; `wrongnumber train` enforces each option's type


def test_an_integer_base_value_does_not_fix_the_type():
    base = dict(BASE, contrastive_weight=1)  # YAML `1` for a float option
    name = run_name("R", {"contrastive_weight": 0.1}, base)
    assert parse_run_name(name, base) == ("R", {"contrastive_weight": 0.1})
    with pytest.raises(RunNameError, match="non-finite"):
        run_name("R", {"margin": float("inf")}, BASE)


def test_overrides_equal_to_the_base_are_dropped():
    assert run_name("R", {"cam_target": "prediction", "margin": 2}, BASE) == "R"
    assert run_name("C", {"contrastive_weight": 0.1}, BASE) == "C+contrastive_weight=0.1"


@pytest.mark.parametrize("value, text", [(0.1, "0.1"), (10.0, "10"), (2.5e-05, "2.5e-05"),
                                         (3, "3"), ("label", "label")])
def test_values_have_one_spelling(value, text):
    assert format_value(value) == text


@pytest.mark.parametrize("name, match", [
    ("R+margin=10+cam_target=label", "not canonical: write it as 'R\\+cam_target=label\\+margin=10'"),
    ("R+margin=2", "not canonical"),                     # equal to the base value
    ("R+lr=0.1", "unknown option 'lr'"),
    ("R+patience=three", "expected a number"),
    ("X+margin=1", "expected C or R"),
    ("R+margin=1/2", "expected C or R"),                 # a '/' would change the path
])
def test_bad_names_say_how_to_fix_them(name, match):
    with pytest.raises(RunNameError, match=match):
        parse_run_name(name, BASE)


def test_base_options_take_the_datasets_subset():
    config = {"train": {"margin": 2.0}, "data": {"fashion": {"subset": "train", "subset_fraction": 0.15,
                                                             "download": False}}}
    assert base_options(config, "fashion") == {"margin": 2.0, "subset": "train", "subset_fraction": 0.15}
