"""A study's config section as a frozen dataclass, so a study reads typed fields, never
`section.get(key, default)`.

Each study's plan module declares its `Settings` (the fields and defaults of its section in
workflow/schemas/config.schema.yaml; tests/test_options.py holds the two to each other) and
builds it with `of`, which names the section and the option when a key is unknown or missing.
"""
from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Mapping, TypeVar

T = TypeVar("T")


def of(cls: type[T], section: Mapping) -> T:
    """`cls` from a config section (a dict as the workflow's config holds it)."""
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(section) - set(names))
    missing = [f.name for f in fields(cls) if f.name not in section
               and f.default is MISSING and f.default_factory is MISSING]
    if unknown or missing:
        raise ValueError(f"config `{cls.KEY}` section: " + "; ".join(
            ([f"unknown option(s) {unknown}"] if unknown else []) + ([f"missing {missing}"] if missing else []))
            + f" (its options: {names}; workflow/schemas/config.schema.yaml documents each)")
    return cls(**section)


def defaults(cls) -> dict:
    """{option: default} of the options of `cls` that have one."""
    return {f.name: f.default if f.default is not MISSING else f.default_factory() for f in fields(cls)
            if f.default is not MISSING or f.default_factory is not MISSING}
