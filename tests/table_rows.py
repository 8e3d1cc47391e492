"""Every row of a normalized page, and the check that holds a typed decoder to the general
path's rows (or its error) exactly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from provlytics.errors import InputError
from provlytics.normalize.batch import PageTables
from provlytics.schema import LOG_TABLES


def rows_of(tables: PageTables) -> dict[str, Any]:
    """Every row of every table, exactly (the JSON text of `extra` and details included),
    the record each came from, the rejects, the records count and the records of other
    diagnostic categories set aside."""
    rows: dict[str, Any] = {k: list(v) for k, v in tables.record_index.items()}
    for name in LOG_TABLES:
        rows[name] = tables.batches[name].to_pylist()
    rows["rejects"] = [(r.origin, r.field, r.reason) for r in tables.rejects]
    rows["records"] = tables.records
    rows["other_logs"] = tables.other_logs
    return rows


def assert_like_general(
    general: Callable[[], PageTables],
    normalized: Callable[[], PageTables],
    fast: Callable[[], PageTables | None] | None = None,
) -> InputError | None:
    """Assert that `normalized()` gives the rows of `general()` (the general path), or
    raises its error with the same message; and, if given, that `fast()` (the typed decoder
    alone) declines where the general path raises, else declines or gives the same rows.
    Returns the general path's error, if it raised one."""
    try:
        expected = rows_of(general())
    except InputError as exc:
        with pytest.raises(InputError) as error:
            normalized()
        assert str(error.value) == str(exc)
        if fast is not None:
            assert fast() is None
        return exc
    assert rows_of(normalized()) == expected
    if fast is not None:
        got = fast()
        assert got is None or rows_of(got) == expected
    return None
