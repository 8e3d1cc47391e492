"""Small hand-built `ProvisioningFrames` for the analysis tests: rows as dicts, every column
the rows leave out is null, times are ISO text read as UTC."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from provlytics.schema import SCHEMAS
from provlytics.tables import ProvisioningFrames


def utc(text: str) -> pd.Timestamp:
    """An ISO time as a UTC Timestamp."""
    return pd.Timestamp(text, tz="UTC")


def arrow(name: str, rows: list[dict]) -> pa.Table:
    """Rows of one table against its schema; times given as text are parsed as UTC."""
    schema = SCHEMAS[name]
    unknown = {key for row in rows for key in row} - set(schema.names)
    assert not unknown, f"not columns of {name}: {unknown}"
    columns = {}
    for field in schema:
        values = [row.get(field.name) for row in rows]
        if pa.types.is_timestamp(field.type):
            values = [None if v is None else utc(v).to_pydatetime() for v in values]
        columns[field.name] = pa.array(values, field.type)
    return pa.table(columns, schema=schema)


def frames(
    events: list[dict] = (),
    *,
    steps: list[dict] = (),
    properties: list[dict] = (),
    errors: list[dict] = (),
    jobs: list[dict] = (),
) -> ProvisioningFrames:
    """Frames of the given rows (any table left out is empty)."""
    return ProvisioningFrames(
        {
            "events": arrow("events", list(events)),
            "steps": arrow("steps", list(steps)),
            "modified_properties": arrow("modified_properties", list(properties)),
            "errors": arrow("errors", list(errors)),
            "job_status": arrow("job_status", list(jobs)),
        }
    )


def event(event_id: str, time: str, **columns) -> dict:
    """An event row: an id, a time and any other columns."""
    return {"event_id": event_id, "activity_time": time, **columns}


def plain(values) -> list:
    """A column as a list with every missing value as None."""
    return [None if pd.isna(v) else v for v in values]
