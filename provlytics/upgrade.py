"""Datasets written by an older provlytics, read in today's table layout.

Version 1 (provlytics 0.x before `SCHEMA_VERSION` 2) differs in `errors` and `job_status`.
Its `errors` lacked `status`, `cycle_id`, `change_id`, `service_principal_id`,
`service_principal_name`, `source_id`, `target_id` and `reportable_identifier`. Every one of
them is a column of the event the error row belongs to, so a version-1 `errors` table is
upgraded exactly by joining it to `events` on `event_id`. Its `job_status` held
`quarantine_began` (Graph's `quarantine.currentBegan`), now `quarantine_current_began`; the
columns version 2 added (`quarantine_series_began`, the quarantine's own error, five run
counters, ...) were never read from Graph, so they are null. Nothing else is guessed: a
dataset of any other version is refused with an error that names both versions and the
command that rewrites it.
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
# job_status columns version 2 renamed (version 1 name -> version 2 name)
V1_JOB_STATUS_RENAMED = {"quarantine_began": "quarantine_current_began"}
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


def stored_columns(name: str, version: object) -> list[str]:
    """The columns to read of table `name` in a dataset of `version`: today's, and the ones
    an older version wrote under another name."""
    columns = list(SCHEMAS[name].names)
    if name == "job_status" and version in UPGRADABLE:
        columns += list(V1_JOB_STATUS_RENAMED)
    return columns


def upgrade_tables(tables: dict[str, pa.Table], version: int) -> dict[str, pa.Table]:
    """Tables read from a dataset of an older `version`, in the current layout.

    Args:
        tables: table name -> Arrow table as read from disk (its own columns).
        version: the dataset's schema version, one of `UPGRADABLE` or `SCHEMA_VERSION`.

    Returns:
        The same tables cast to `SCHEMAS`; a version-1 `errors` table gains the version-2
        columns from its events (null where the event is missing); a version-1 `job_status`
        has `quarantine_began` renamed `quarantine_current_began` and the rest null.

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
    if "job_status" in out:
        out["job_status"] = _job_status_from_v1(out["job_status"])
    return {name: _conform(name, table) for name, table in out.items()}


def _errors_from_v1(errors: pa.Table, events: pa.Table) -> pa.Table:
    """Version-1 errors with the version-2 columns taken from their events."""
    where = pc.index_in(errors["event_id"], value_set=_flat(events["event_id"]))
    kept = errors.drop_columns([c for c in V2_ERROR_COLUMNS if c in errors.column_names])
    for column in V2_ERROR_COLUMNS:
        kept = kept.append_column(column, pc.take(_flat(events[column]), where))
    return kept


def _job_status_from_v1(jobs: pa.Table) -> pa.Table:
    """Version-1 job_status under the version-2 names; the columns it never had are null."""
    names = [V1_JOB_STATUS_RENAMED.get(name, name) for name in jobs.column_names]
    renamed = jobs.rename_columns(names)
    schema = SCHEMAS["job_status"]
    added = [f for f in schema if f.name not in renamed.column_names]
    for f in added:
        renamed = renamed.append_column(f, pa.nulls(renamed.num_rows, f.type))
    logger.info("job_status of version 1: %d version-2 columns read as null", len(added))
    return renamed


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
