"""The frames a helper, the report or a widget is given: `ProvisioningFrames`, or the path of
a store/snapshot folder; anything else is refused here, with one message for all of them."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from provlytics.errors import ConfigError
from provlytics.schema import SCHEMAS
from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)

TAKES = "ProvisioningFrames or the path of a store/snapshot folder"


def checked(value: Any, *, who: str | None = None, any_tables: bool = True) -> Any:
    """`value` if it is frames or a path (str or os.PathLike; not opened here).

    Frames are a `ProvisioningFrames` or, with `any_tables`, any object with at least one of
    the five tables as a DataFrame attribute (`events`, `errors`, ...).

    Args:
        value: what the caller was given as `frames`.
        who: the caller, for the message ("write_report", "ErrorExplorer"); None for the
            analysis helpers ("frames: got ...").
        any_tables: accept objects that only have the tables (the analysis helpers do; the
            report and the widgets need a `ProvisioningFrames`).

    Raises:
        ConfigError: anything else (a DataFrame such as `frames.errors`, a dict, None),
            naming `who`, the type it got and what it takes.
    """
    if isinstance(value, ProvisioningFrames | str | os.PathLike):
        return value
    if any_tables and _has_tables(value):
        return value
    kind = type(value).__name__
    got = "None" if value is None else f"{'an' if kind[0] in 'aeiouAEIOU' else 'a'} {kind}"
    if isinstance(value, pd.DataFrame):
        got += " (pass the whole frames, not one of its tables)"
    where = f"{who}(frames=...)" if who else "frames"
    raise ConfigError(f"{where}: got {got}; takes {TAKES}")


def frames_of(value: Any, *, who: str) -> ProvisioningFrames:
    """`value` if it is a `ProvisioningFrames`; a folder path (str or os.PathLike) read with
    `pv.read_parquet`.

    Args:
        value: what the caller was given as `frames`.
        who: the caller, for the message ("write_report", "ErrorExplorer").

    Raises:
        ConfigError: `value` is neither (`checked`).
        InputError: the path is not a dataset folder (from `pv.read_parquet`).
    """
    value = checked(value, who=who, any_tables=False)
    if isinstance(value, ProvisioningFrames):
        return value
    from provlytics.datasets import read_parquet  # the store's imports: only when used

    logger.info("%s: reading %s", who, value)
    return read_parquet(Path(value))


def _has_tables(value: Any) -> bool:
    """Whether `value` (not a DataFrame or mapping) has a table as a DataFrame attribute."""
    if isinstance(value, pd.DataFrame | pd.Series | Mapping) or value is None:
        return False
    return any(isinstance(getattr(value, name, None), pd.DataFrame) for name in SCHEMAS)
