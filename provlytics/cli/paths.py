"""Command-line path arguments shared by `load` and `report`: inputs that exist or are
patterns, and an output folder that is not a file. Usage errors (exit 2) name the path as
given, before anything is read."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import click

GLOB_CHARACTERS = frozenset("*?[")


def existing_or_glob(ctx: click.Context, param: click.Parameter, paths: tuple[str, ...]) -> list:
    """PATHS as given: each must exist, or be a pattern (`"exports/*.json"`, quoted)."""
    from provlytics.sources.reading import display_path

    for path in paths:
        if not os.path.exists(path) and not GLOB_CHARACTERS & set(path):
            raise click.BadParameter(f"{display_path(path)}: no such file or folder", ctx, param)
    return list(paths)


def dataset_folder(ctx: click.Context, param: click.Parameter, path: Path) -> Path:
    """--out: a folder to create or write into, never an existing file nor below one."""
    from provlytics.sources.reading import display_path

    if path.exists() and not path.is_dir():
        raise click.BadParameter(f"{display_path(path)} is a file, not a folder", ctx, param)
    above = next((p for p in path.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise click.BadParameter(
            f"{display_path(path)}: {display_path(above)} is a file, not a folder", ctx, param
        )
    return path


def new_dataset_folder(
    why: str, *, unless: Callable[[click.Context, Path], bool] | None = None
) -> Callable[[click.Context, click.Parameter, Path], Path]:
    """An --out callback: a folder (`dataset_folder`) that holds no provlytics dataset yet
    (no manifest.json), or one for which `unless(ctx, path)` is true; else a usage error
    "DIR already holds a provlytics dataset: `why`; choose a new folder" (exit 2), before
    anything is read or written."""

    def check(ctx: click.Context, param: click.Parameter, path: Path) -> Path:
        from provlytics.parquet import MANIFEST
        from provlytics.sources.reading import display_path

        path = dataset_folder(ctx, param, path)
        if (path / MANIFEST).is_file() and not (unless and unless(ctx, path)):
            raise click.BadParameter(
                f"{display_path(path)} already holds a provlytics dataset: {why}; "
                "choose a new folder",
                ctx,
                param,
            )
        return path

    return check
