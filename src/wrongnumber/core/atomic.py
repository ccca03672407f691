"""Every output goes to a temporary file beside it and is renamed into place, so that a killed
job never leaves a file that looks complete (Snakemake and `--resume` trust what exists).

The temporary name is the file's own plus ".tmp": gzip headers carry the name they were opened
under, so keeping it fixed keeps such files byte-identical from run to run.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write; renamed onto `path` when the block ends, removed if it raises."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | Path, obj, sort_keys: bool = True) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=sort_keys) + "\n")
