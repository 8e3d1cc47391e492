"""How a load's rows are laid out in the store's files: each row in the date partition of
its event (children with their event, a page spanning days split), the Parquet settings of
the files (dictionaries and statistics per column) and the id hashes the commit compares."""

from __future__ import annotations

import datetime as dt

import payloads as p
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from test_store_writes import pages, record, same_tables

import provlytics as pv
from provlytics.schema import LOG_TABLES
from provlytics.store.files import _by_date
from provlytics.store.pages import id_hashes
from provlytics.store.read import _time_range


def test_a_page_spanning_days_puts_each_event_and_its_children_in_its_own_date(tmp_path):
    page = [record(1, day=15), record(3, day=16, make=p.v1_success_aws), record(2, day=15)]
    inputs = pages(tmp_path / "in", page)
    pv.load_to_parquet(inputs, tmp_path / "store", progress=False)

    layout = {
        name: {
            path.parent.name: pq.read_table(path, columns=["event_id"])["event_id"].to_pylist()
            for path in (tmp_path / "store" / name).rglob("*.parquet")
        }
        for name in LOG_TABLES
    }
    assert layout == {
        "events": {
            "activity_date=2026-07-15": ["ev-1", "ev-2"],
            "activity_date=2026-07-16": ["ev-3"],
        },
        "steps": {
            "activity_date=2026-07-15": ["ev-1"] * 3 + ["ev-2"] * 3,
            "activity_date=2026-07-16": ["ev-3"] * 2,
        },
        "modified_properties": {
            "activity_date=2026-07-15": ["ev-1"] * 6 + ["ev-2"] * 6,
            "activity_date=2026-07-16": ["ev-3"] * 5,
        },
        "errors": {"activity_date=2026-07-15": ["ev-1", "ev-2"]},
    }  # fmt: skip
    same_tables(pv.read_parquet(tmp_path / "store"), pv.load(inputs))


def test_rows_without_a_date_go_to_the_unknown_partition():
    rows = pa.table({"event_id": ["a", "b", "c", "d", "e"]})
    days = pa.array(
        [dt.date(2026, 7, 16), None, dt.date(2026, 7, 15), dt.date(2026, 7, 16), None],
        pa.date32(),
    )
    parts = {date: part["event_id"].to_pylist() for date, part in _by_date(rows, days)}
    assert parts == {"2026-07-16": ["a", "d"], "2026-07-15": ["c"], "unknown": ["b", "e"]}
    assert _by_date(rows, pa.nulls(5, pa.date32()))[0][0] == "unknown"
    one_day = _by_date(rows, pa.array([dt.date(2026, 7, 15)] * 5, pa.date32()))
    assert [(date, part.num_rows) for date, part in one_day] == [("2026-07-15", 5)]


def test_store_files_skip_dictionaries_of_ids_and_statistics_of_text_bags(tmp_path):
    inputs = pages(tmp_path / "in", [record(n, day=15) for n in range(3)])
    pv.load_to_parquet(inputs, tmp_path / "store", progress=False)

    def columns(name: str) -> dict[str, tuple[bool, bool]]:
        """(dictionary-encoded, has statistics) of each column of the table's one file."""
        (path,) = (tmp_path / "store" / name).rglob("*.parquet")
        group = pq.ParquetFile(path).metadata.row_group(0)
        chunks = [group.column(i) for i in range(group.num_columns)]
        return {c.path_in_schema: ("RLE_DICTIONARY" in c.encodings, c.is_stats_set) for c in chunks}

    events, steps, properties = columns("events"), columns("steps"), columns("modified_properties")
    assert {
        c: events[c] for c in ("event_id", "change_id", "activity_time", "status", "extra")
    } == {
        "event_id": (False, True),
        "change_id": (False, True),
        "activity_time": (False, True),
        "status": (True, True),
        "extra": (True, False),
    }
    assert steps == {
        "event_id": (False, True),
        "step_index": (True, True),
        "name": (True, True),
        "step_type": (True, True),
        "status": (True, True),
        "description": (True, False),
        "timestamp": (True, True),
        "details": (True, False),
    }
    assert properties == {
        "event_id": (False, True),
        "property_index": (True, True),
        "name": (True, True),
        "old_value": (True, False),
        "new_value": (True, False),
    }


def test_ids_of_one_length_hash_as_among_ids_of_other_lengths():
    guids = [f"{n:08x}-0000-4000-8000-{n * 7919:012x}" for n in range(50)]
    alone = id_hashes(pa.array(guids))
    mixed = id_hashes(pa.array(["ev-1", *guids, ""]))
    assert alone.tolist() == mixed[1:-1].tolist()
    assert len(set(alone.tolist())) == 50
    assert id_hashes(pa.chunked_array([guids[:20], guids[20:]])).tolist() == alone.tolist()
    assert id_hashes(pa.array(guids).slice(10, 5)).tolist() == alone[10:15].tolist()


def test_the_time_range_comes_from_footers_or_from_the_column_without_statistics(tmp_path):
    times = [dt.datetime(2026, 7, 15, 10, 0, 0, 123456, tzinfo=dt.UTC), None]
    later = [dt.datetime(2026, 7, 17, 23, 59, 59, 999999, tzinfo=dt.UTC)]
    kind = pa.timestamp("us", tz="UTC")
    pq.write_table(pa.table({"activity_time": pa.array(times, kind)}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"activity_time": pa.nulls(3, kind)}), tmp_path / "b.parquet")
    bare = pa.table({"activity_time": pa.array(later, kind)})
    pq.write_table(bare, tmp_path / "c.parquet", write_statistics=False)
    assert _time_range(ds.dataset(tmp_path)) == (times[0], later[0])
    assert _time_range(ds.dataset([tmp_path / "b.parquet"])) == (None, None)
    assert _time_range(ds.dataset([tmp_path / "c.parquet"])) == (later[0], later[0])


def test_the_manifest_gives_the_exact_time_range_of_the_stored_events(tmp_path):
    first, last = record(1, day=15), record(2, day=17)
    first["activityDateTime"], last["activityDateTime"] = (
        "2026-07-15T10:00:00.1234567Z", "2026-07-17T23:59:59.999999Z",
    )  # fmt: skip
    inputs = pages(tmp_path / "in", [first, record(3, day=16)], [last])
    manifest = pv.load_to_parquet(inputs, tmp_path / "store", progress=False)
    assert manifest["time_range"] == {
        "start": "2026-07-15T10:00:00.123456+00:00",
        "end": "2026-07-17T23:59:59.999999+00:00",
    }
