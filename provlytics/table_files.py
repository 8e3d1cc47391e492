"""The tables of a store or snapshot folder as `pyarrow.dataset.Dataset`s, for engines that
scan them out of core (DuckDB, pyarrow) instead of loading them (`pv.read_parquet`).

A store's tables are its Delta tables at the versions one events commit names
(`store.datasets`); a snapshot's are its Hive-partitioned folders; a snapshot of an older
schema version is read and upgraded in memory (`provlytics.upgrade`), then wrapped.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds

from provlytics.errors import InputError
from provlytics.parquet import MANIFEST, _dataset, _read_upgraded, read_manifest
from provlytics.schema import SCHEMA_VERSION, TABLE_NAMES
from provlytics.store import datasets, is_store
from provlytics.upgrade import check_version


def open_tables(path: str | Path) -> dict[str, ds.Dataset]:
    """Table name -> dataset of the tables present (a table never written is left out).

    Raises:
        InputError: the folder is neither a store nor a snapshot written by provlytics (or
            of a schema version this provlytics cannot read).
    """
    root = Path(path)
    if is_store(root):
        return datasets(root)
    if not root.is_dir():
        raise InputError(str(root), "no such folder (give a store or a snapshot folder)")
    manifest = read_manifest(root)
    version = manifest.get("schema_version")
    check_version(version, str(root / MANIFEST))
    if version == SCHEMA_VERSION:
        return {n: _dataset(root / n) for n in TABLE_NAMES if (root / n).is_dir()}
    return {n: ds.dataset(t) for n, t in _read_upgraded(root, version).items()}
