"""Datasets written by an older provlytics, read in today's table layout.

Version 1 (provlytics 0.x before `SCHEMA_VERSION` 2) differs only in `errors`: it lacked
`status`, `cycle_id`, `change_id`, `service_principal_id`, `service_principal_name`,
`source_id`, `target_id` and `reportable_identifier`. Every one of them is a column of the
event the error row belongs to, so a version-1 `errors` table is upgraded exactly by joining
it to `events` on `event_id`. Nothing else is guessed: a dataset of any other version is
refused with an error that names both versions and the command that rewrites it.
"""

from __future__ import annotations

import logging

import pyarrow as pa
import pyarrow.compute as pc

from provlytics.errors import InputError
from provlytics.schema import SCHEMA_VERSION, SCHEMAS

logger = logging.getLogger(__name__)

UPGRADABLE = (1,)  # versions `upgrade_tables` turns into SCHEMA_VERSION
# errors columns added by version 2, each copied from the error's event
V2_ERROR_COLUMNS = (
    "status",
    "cycle_id",
    "change_id",
    "service_principal_id",
    "service_principal_name",
    "source_id",
    "target_id",
    "reportable_identifier",
)
REWRITE_COMMAND = "provlytics load <inputs> --out NEW_DIR"


def check_version(version: object, where: str) -> None:
    """Raise `InputError` unless a dataset of `version` can be read (as is or upgraded).

    Args:
        version: the manifest's `schema_version` (any JSON value).
        where: the manifest's path, for the message.

    Raises:
        InputError: naming the dataset's version, this provlytics' version and the command
            that writes the inputs afresh in today's layout.
    """
    if version == SCHEMA_VERSION or version in UPGRADABLE:
        return
    raise InputError(where, version_message(version))


def version_message(version: object) -> str:
    """Why a dataset of `version` cannot be used as is, and how to rewrite it."""
    return (
        f"dataset schema version {version!r}, but this provlytics reads version "
        f"{SCHEMA_VERSION} (and upgrades {', '.join(map(str, UPGRADABLE))} in memory); "
        f"write it again from its inputs with `{REWRITE_COMMAND}`"
    )


def upgrade_tables(tables: dict[str, pa.Table], version: int) -> dict[str, pa.Table]:
    """Tables read from a dataset of an older `version`, in the current layout.

    Args:
        tables: table name -> Arrow table as read from disk (its own columns).
        version: the dataset's schema version, one of `UPGRADABLE` or `SCHEMA_VERSION`.

    Returns:
        The same tables cast to `SCHEMAS`; a version-1 `errors` table gains the version-2
        columns from its events (null where the event is missing).

    A column of another table that the old version did not write is read as null, with a
    logged warning (version 1 has them all).
    """
    if version == SCHEMA_VERSION:
        return {name: table.cast(SCHEMAS[name]) for name, table in tables.items()}
    logger.info("upgrading a version %s dataset to version %s in memory", version, SCHEMA_VERSION)
    out = dict(tables)
    if "errors" in out:
        events = out.get("events", SCHEMAS["events"].empty_table())
        out["errors"] = _errors_from_v1(out["errors"], events)
    return {name: _conform(name, table) for name, table in out.items()}


def _errors_from_v1(errors: pa.Table, events: pa.Table) -> pa.Table:
    """Version-1 errors with the version-2 columns taken from their events."""
    where = pc.index_in(errors["event_id"], value_set=_flat(events["event_id"]))
    kept = errors.drop_columns([c for c in V2_ERROR_COLUMNS if c in errors.column_names])
    for column in V2_ERROR_COLUMNS:
        kept = kept.append_column(column, pc.take(_flat(events[column]), where))
    return kept


def _conform(name: str, table: pa.Table) -> pa.Table:
    """`table` in the column order and types of `SCHEMAS[name]`; a column the old version
    did not write is null (and logged)."""
    schema = SCHEMAS[name]
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        logger.warning("table %s of an older dataset has no %s: read as null", name, missing)
        for column in missing:
            table = table.append_column(column, pa.nulls(table.num_rows, schema.field(column).type))
    return table.select(schema.names).cast(schema)


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
