"""The frames a consumer (report, widgets) is given: `ProvisioningFrames`, or the path of a
store/snapshot folder read whole with `pv.read_parquet`, as the analysis helpers take it."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from provlytics.errors import ConfigError
from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)

TAKES = "ProvisioningFrames or the path of a store/snapshot folder"


def frames_of(value: Any, *, argument: str, who: str) -> ProvisioningFrames:
    """`value` if it is frames; a folder path (str or os.PathLike) read with `pv.read_parquet`.

    Args:
        value: what the caller was given.
        argument: the caller's argument name, for the message ("frames").
        who: the caller, for the message ("write_report", "ErrorExplorer").

    Raises:
        ConfigError: `value` is neither, naming `who`, `argument`, its type and what it takes.
        InputError: the path is not a dataset folder (from `pv.read_parquet`).
    """
    if isinstance(value, ProvisioningFrames):
        return value
    if isinstance(value, str | os.PathLike):
        from provlytics.datasets import read_parquet  # the store's imports: only when used

        logger.info("%s: reading %s", who, value)
        return read_parquet(Path(value))
    raise ConfigError(
        f"{who}: {argument} takes {TAKES}; got {type(value).__name__}"
        + (" (a table: pass the whole frames)" if hasattr(value, "columns") else "")
    )
