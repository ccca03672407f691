"""One source for options: the config schema, TrainConfig, `wrongnumber train` and config/config.yaml
agree on every option's name, default, allowed values and bounds, and the schema's backbone and
CAM-method lists are the registries'. A change to one that the others miss fails here."""
from dataclasses import MISSING, asdict, fields

import pytest
import yaml

from conftest import ROOT
from wrongnumber.core.cam_methods import METHODS
from wrongnumber.core.data import DATASET_SPECS
from wrongnumber.cli import build_parser
from wrongnumber.core.models import MODELS
from wrongnumber.core.train import BOUNDS, CHOICES, ConfigError, TrainConfig
from wrongnumber.plan.studies import STUDIES

SCHEMA = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
DEFS = SCHEMA["$defs"]
# the workflow config's options of a run: its `train` section and the dataset's subset reading;
# dataset, variant, backbone and seed are the run's own (its path), not options
SCHEMA_OPTIONS = {**SCHEMA["properties"]["train"]["properties"],
                  **{k: DEFS["dataset"]["properties"][k] for k in ("subset", "subset_fraction")}}
PER_RUN = {"dataset", "variant", "backbone", "seed"}
DEFAULTS = asdict(TrainConfig())


def train_arguments() -> dict:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {a.dest: a for a in sub.choices["train"]._actions}


def test_schema_options_are_trainconfig_fields():
    assert set(SCHEMA_OPTIONS) == set(DEFAULTS) - PER_RUN


@pytest.mark.parametrize("name", sorted(SCHEMA_OPTIONS))
def test_defaults_agree(name):
    assert SCHEMA_OPTIONS[name]["default"] == DEFAULTS[name]
    assert train_arguments()[name].default == DEFAULTS[name]


def test_allowed_values_agree():
    enums = {k: v["enum"] for k, v in SCHEMA_OPTIONS.items() if "enum" in v}
    assert set(enums) == set(CHOICES) - PER_RUN
    for name, values in enums.items():
        assert sorted(values) == sorted(CHOICES[name]), name
    assert sorted(SCHEMA["properties"]["variants"]["items"]["enum"]) == sorted(CHOICES["variant"])
    assert DEFS["datasets"]["items"]["enum"] == list(CHOICES["dataset"]) == list(DATASET_SPECS)


def test_config_yaml_sets_every_option_to_its_default():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    train = SCHEMA["properties"]["train"]["properties"]
    assert config["train"] == {k: DEFAULTS[k] for k in train}
    assert {k: config["data"]["mnist"][k] for k in ("subset", "subset_fraction")} == \
        {k: DEFAULTS[k] for k in ("subset", "subset_fraction")}


@pytest.mark.parametrize("f", fields(TrainConfig), ids=lambda f: f.name)
def test_bounds_agree(f):
    """TrainConfig's bounds are the schema's; the CLI enforces them: a bound is allowed exactly
    when it is inclusive, and a value a step beyond it is refused."""
    schema = {k: v for k, v in SCHEMA_OPTIONS.get(f.name, {}).items() if k in BOUNDS}
    assert f.metadata["bounds"] == schema
    for kind, bound in schema.items():
        step = (1 if isinstance(f.default, int) else 1e-9) * (-1 if "inimum" in kind else 1)
        with pytest.raises(ConfigError, match=f"--{f.name.replace('_', '-')} has an invalid value"):
            TrainConfig(**{f.name: type(f.default)(bound + step)}).validate()
        inclusive = kind in ("minimum", "maximum")
        if inclusive:
            TrainConfig(**{f.name: type(f.default)(bound)}).validate()
        else:
            with pytest.raises(ConfigError):
                TrainConfig(**{f.name: type(f.default)(bound)}).validate()


def test_train_help_is_the_field_help():
    args = train_arguments()
    for f in fields(TrainConfig):
        assert args[f.name].help.replace("%%", "%") == f.metadata["help"]


def test_every_train_option_is_a_cli_flag_typed_like_its_default():
    args = train_arguments()
    for name, default in DEFAULTS.items():
        assert args[name].option_strings == ["--" + name.replace("_", "-")]
        assert args[name].type is type(default)


def test_backbone_and_cam_method_lists_are_the_registries():
    assert sorted(DEFS["backbone"]["enum"]) == sorted(MODELS)
    assert SCHEMA["properties"]["backbone"]["enum"] == ["paper_cnn"]  # the paper's tables: its CNN
    xai = SCHEMA["properties"]["xai"]["properties"]
    assert xai["methods"]["items"]["enum"] == list(METHODS)
    methods = xai_scores_arguments()["methods"]
    assert list(methods.choices) == list(METHODS) and methods.default == list(METHODS)


def xai_scores_arguments() -> dict:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {a.dest: a for a in sub.choices["xai-scores"]._actions}


def test_xai_scoring_defaults_agree():
    xai, args = SCHEMA["properties"]["xai"]["properties"], xai_scores_arguments()
    for name in ("cam_target", "n_samples", "sample_seed", "n_steps", "baseline", "k_percent", "qualitative"):
        assert args[name].default == xai[name]["default"], name
    assert list(args["cam_target"].choices) == xai["cam_target"]["enum"]


@pytest.mark.parametrize("key", sorted(STUDIES))
def test_study_settings_are_the_schema_section(key):
    """Each study's typed settings (plan/<key>.py) has one field per option of its schema section,
    required where the schema requires it, with the schema's default where it has one."""
    section = SCHEMA["properties"][key]
    settings = {f.name: f for f in fields(STUDIES[key].plan.Settings)}
    assert set(settings) == set(section["properties"])
    for name, f in settings.items():
        required = f.default is MISSING and f.default_factory is MISSING
        assert required == (name in section.get("required", [])), name
        if "default" in section["properties"][name]:
            default = f.default if f.default is not MISSING else f.default_factory()
            assert default == section["properties"][name]["default"], name


def test_study_settings_name_a_bad_key():
    with pytest.raises(ValueError, match=r"config `xai` section: unknown option\(s\) \['n_sample'\]; missing \['methods'\]"):
        STUDIES["xai"].settings({"xai": {"datasets": ["mnist"], "backbone": "paper_cnn", "seeds": [0],
                                         "variants": {"C": {"variant": "C"}}, "n_sample": 5}})

