"""`pv.read_parquet(since=, until=, columns=, filters=)`: the scope pushed down to the scan of
a store and of a plain snapshot gives exactly what `filter_frames` keeps of the whole read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import provlytics as pv
from provlytics.errors import ConfigError
from provlytics.order import in_order
from provlytics.report import write_report
from provlytics.schema import SCHEMAS
from provlytics.tables import sort_tables

LOG_TABLES = ("events", "steps", "modified_properties", "errors")


@pytest.fixture(scope="module")
def folders(
    samples: pv.ProvisioningFrames, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("scope")
    pv.load_to_parquet("data/samples", root / "store", progress=False)
    samples.to_parquet(root / "snapshot")
    return {"store": root / "store", "snapshot": root / "snapshot"}


@pytest.mark.parametrize("kind", ["store", "snapshot"])
@pytest.mark.parametrize(
    ("window", "counts"),
    [
        ({"since": "2026-11-20", "until": "2026-11-21"}, (500, 1918, 1335, 75)),
        ({"since": "2d"}, (143, 546, 372, 22)),
        ({"until": "3d"}, (1391, 5389, 3558, 205)),
    ],
)
def test_window_is_filter_frames(
    folders: dict[str, Path], kind: str, window: dict[str, str], counts: tuple[int, ...]
) -> None:
    whole = pv.read_parquet(folders[kind])
    scoped = pv.read_parquet(folders[kind], **window)
    expected = pv.analysis.filter_frames(whole, **window)
    assert tuple(scoped.counts()[name] for name in LOG_TABLES) == counts
    for name in (*LOG_TABLES, "job_status"):
        assert scoped.table(name).equals(expected.table(name)), name
    assert scoped.counts()["job_status"] == 6


@pytest.mark.parametrize("kind", ["store", "snapshot"])
def test_filters_and_columns(folders: dict[str, Path], kind: str) -> None:
    frames = pv.read_parquet(
        folders[kind],
        filters=[("status", "==", "failure")],
        columns={"events": ["status", "job_id"], "steps": ["status"], "job_status": []},
    )
    whole = pv.read_parquet(folders[kind])
    events = whole.table("events")
    failed = events.filter(pc.equal(events["status"], "failure"))["event_id"].combine_chunks()
    for name in ("steps", "modified_properties", "errors"):
        mine = whole.table(name).filter(pc.is_in(whole.table(name)["event_id"], value_set=failed))
        assert frames.table(name).num_rows == mine.num_rows, name
    assert frames.counts() == {
        "events": 252,
        "steps": 964,
        "modified_properties": 1134,
        "errors": 252,
        "job_status": 6,
    }
    assert frames.table("events").column_names == ["event_id", "activity_time", "job_id", "status"]
    assert frames.table("steps").column_names == ["event_id", "step_index", "status"]
    assert frames.table("job_status").column_names == ["observed_time", "job_id"]
    assert frames.table("errors").column_names == SCHEMAS["errors"].names
    assert pc.unique(frames.table("events")["status"]).to_pylist() == ["failure"]
    assert list(frames.events.columns) == ["event_id", "activity_time", "job_id", "status"]


def test_filters_any_of_groups_and_a_window(folders: dict[str, Path]) -> None:
    whole = pv.read_parquet(folders["store"])
    frames = pv.read_parquet(
        folders["store"],
        since="2026-11-20",
        filters=[[("status", "==", "warning")], [("status", "==", "failure")]],
        columns=["status"],
    )
    events = whole.events
    kept = events[
        events["status"].isin(["warning", "failure"])
        & (events["activity_time"] >= "2026-11-20T00:00:00Z")
    ]
    assert frames.counts()["events"] == len(kept) == 96
    assert frames.events["event_id"].tolist() == kept["event_id"].tolist()
    assert frames.counts()["errors"] == 96


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"since": "last week"}, "since='last week' is not a date, a time or a duration"),
        ({"until": "7 fortnights"}, "until='7 fortnights' is not a duration such as '7d'"),
        ({"columns": {"event": ["status"]}}, "columns: no table 'event' (tables: events,"),
        ({"columns": ["state"]}, "columns['events']: events has no column 'state'"),
        ({"columns": "status"}, "columns='status': give a list of events columns or a dict"),
        ({"filters": [("state", "==", "x")]}, "filters: events has no column 'state'"),
        ({"filters": [("status", "~", "x")]}, "filters=[('status', '~', 'x')]: "),
        ({"filters": [("status", "==")]}, "filters: ('status', '==') is not a (column, op, v"),
        ({"filters": "status == 'x'"}, "filters=\"status == 'x'\": give a list of (column, op"),
        ({"filters": [("duration_ms", ">", "long")]}, "filters=[('duration_ms', '>', 'long')] can"),
        (
            {"since": "2026-11-20", "until": "2026-11-19T12:00"},
            "since='2026-11-20' (2026-11-20 00:00:00 UTC) is after until='2026-11-19T12:00' "
            "(2026-11-19 12:00:00 UTC): no event can be in that window (swap them?)",
        ),
        (
            {"since": "1d", "until": "2d"},
            "since='1d' (2026-11-21 23:51:43 UTC) is after until='2d' (2026-11-20 23:51:43 UTC)",
        ),
    ],
)
@pytest.mark.parametrize("kind", ["store", "snapshot"])
def test_bad_arguments(
    folders: dict[str, Path], kind: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        pv.read_parquet(folders[kind], **options)
    assert str(caught.value).startswith(message)


def test_tables_out_of_order_are_sorted_as_sort_tables_sorts(folders: dict[str, Path]) -> None:
    tables = {n: pv.read_parquet(folders["store"]).table(n) for n in (*LOG_TABLES, "job_status")}
    assert in_order(tables) == tables  # read in order: nothing to do
    assert all(in_order(tables)[n] is tables[n] for n in tables)
    shuffled = {n: t.take(pa.array(range(t.num_rows - 1, -1, -1))) for n, t in tables.items()}
    again = in_order(shuffled)
    for name, table in sort_tables(shuffled).items():
        assert again[name].equals(table), name
        assert again[name].equals(tables[name]), name


def test_scope_at_a_store_version(folders: dict[str, Path]) -> None:
    version = json.loads((folders["store"] / "manifest.json").read_text())["store_version"]
    at = pv.read_parquet(folders["store"], version=version, since="2026-11-20", until="2026-11-21")
    now = pv.read_parquet(folders["store"], since="2026-11-20", until="2026-11-21")
    assert at.counts() == now.counts()
    assert at.counts()["events"] == 500
    with pytest.raises(ConfigError, match="has no versions"):
        pv.read_parquet(folders["snapshot"], version=version, since="2d")


@pytest.mark.parametrize("kind", ["store", "snapshot"])
def test_a_window_read_answers_as_filter_frames_does(
    folders: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    """The frames carry the step `filter_frames` records (the bounds as given and their UTC
    times), so alerts and the report agree: a quarantine that ended before the first event
    of the window is not reported on either route."""
    scoped = pv.read_parquet(folders[kind], since="2d")
    expected = pv.analysis.filter_frames(pv.read_parquet(folders[kind]), since="2d")
    assert scoped.narrowed == [{"since": "2d", "since_utc": "2026-11-20T23:51:43+00:00"}]
    assert scoped.narrowed == expected.narrowed
    found = pv.analysis.alerts(scoped, window="1d")
    assert found.empty
    pd.testing.assert_frame_equal(found, pv.analysis.alerts(expected, window="1d"))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    pages = []
    for name, frames in (("read", scoped), ("filtered", expected)):
        out = write_report(frames, tmp_path / name, parquet=False, now=now)
        pages.append(out.read_text(encoding="utf-8"))
    assert "Narrowed to" in pages[0]
    assert pages[0] == pages[1]


def test_a_window_read_of_a_narrowed_snapshot_adds_its_step(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    """After the snapshot's own steps; a duration counts back from its newest event."""
    narrowed = pv.analysis.filter_frames(pv.read_parquet(folders["store"]), until="1d")
    narrowed.to_parquet(tmp_path / "snap")
    newest = narrowed.events["activity_time"].max()
    scoped = pv.read_parquet(tmp_path / "snap", since="1d")
    assert scoped.narrowed == [
        {"until": "1d", "until_utc": "2026-11-21T23:51:43+00:00"},
        {"since": "1d", "since_utc": (newest - pd.Timedelta(days=1)).isoformat()},
    ]
    assert scoped.narrowed == pv.analysis.filter_frames(narrowed, since="1d").narrowed
