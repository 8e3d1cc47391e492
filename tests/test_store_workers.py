"""Worker processes that write their own files into the store: the same tables, rejects and
manifest counts as one process (the later copy of a repeated id wins by file, then page),
and nothing of theirs left behind when the load fails or a worker dies. Real processes."""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import payloads as p
import pyarrow as pa
import pytest
from pool_doubles import KillingPool, StartedAtOnce, write_worker_inputs
from test_store_writes import data_files, live_files

import provlytics as pv
from provlytics.parquet import read_manifest
from provlytics.pipeline import files as files_module
from provlytics.pipeline import workers as pool_workers
from provlytics.schema import TABLE_NAMES
from provlytics.store.pages import id_hashes

FILES = 12


@pytest.fixture
def workers_from_the_start(monkeypatch):
    monkeypatch.setattr(pool_workers, "ThreadPoolExecutor", StartedAtOnce)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """12 pages over three days; every id of a page comes again, changed, four pages later
    (a later file wins), one record lacks its id (a reject) and one file holds jobs."""
    return write_worker_inputs(
        tmp_path_factory.mktemp("inputs"), FILES, [p.job_created_aws(), p.job_quarantined_aws()]
    )


def _load(inputs: Path, out: Path, workers: int, **options) -> dict:
    return pv.load_to_parquet(
        inputs, out, progress=False, workers=workers, on_error="collect", **options
    )


def _same_store(left: Path, right: Path) -> None:
    one, other = pv.read_parquet(left), pv.read_parquet(right)
    for name in TABLE_NAMES:
        assert other.table(name).equals(one.table(name)), name
    keys = ("row_counts", "records_read", "records_rejected", "sources")
    facts = [{key: read_manifest(folder)[key] for key in keys} for folder in (left, right)]
    assert facts[1] == facts[0]


def _no_stray_files(store: Path, before: dict[str, set[str]] | None = None) -> None:
    """Every file on disk is in the tables' current version, but for the files of the load
    before (kept for time travel for the store's retention)."""
    for name in TABLE_NAMES:
        stray = data_files(store / name) - live_files(store / name)
        assert stray <= (before or {}).get(name, set()), name


def test_two_workers_write_the_tables_one_process_writes(
    inputs, tmp_path, workers_from_the_start, caplog
):
    one = _load(inputs, tmp_path / "one", 1)
    with caplog.at_level(logging.INFO, logger="provlytics.pipeline.store_workers"):
        _load(inputs, tmp_path / "two", 2)
    _same_store(tmp_path / "one", tmp_path / "two")
    assert one["row_counts"] == {
        "events": 160, "steps": 320, "modified_properties": 880, "errors": 80, "job_status": 2,
    }  # fmt: skip
    assert (one["records_read"], one["records_rejected"]) == (480, 1)
    read = re.search(r"(\d+) of 14 files read by worker processes", caplog.text)
    assert read and int(read[1]) > 0, caplog.text  # the workers did write some of the files
    _no_stray_files(tmp_path / "two")


def test_two_workers_replace_what_the_store_holds_as_one_process(
    inputs, tmp_path, workers_from_the_start
):
    first = sorted(inputs.glob("page-0[0-3].json"))
    for store, workers in (("one", 1), ("two", 2)):
        pv.load_to_parquet(first, tmp_path / store, progress=False, workers=1)
        before = {name: data_files(tmp_path / store / name) for name in TABLE_NAMES}
        _load(inputs, tmp_path / store, workers)
    _same_store(tmp_path / "one", tmp_path / "two")
    _no_stray_files(tmp_path / "two", before)


def test_a_failed_load_removes_the_workers_files(inputs, tmp_path, workers_from_the_start):
    store = tmp_path / "store"
    pv.load_to_parquet(sorted(inputs.glob("page-00.json")), store, progress=False, workers=1)
    before = {name: data_files(store / name) for name in TABLE_NAMES}
    with pytest.raises(pv.InputError, match=r"page-05\.json: record 8: 'id': is missing"):
        pv.load_to_parquet(inputs, store, progress=False, workers=2)  # on_error="raise"
    assert {name: data_files(store / name) for name in TABLE_NAMES} == before
    assert pv.read_parquet(store).counts()["events"] == 40


class _KillingPool(KillingPool):
    @staticmethod
    def is_file(function) -> bool:  # a file is a partial (not a start or finish)
        return isinstance(function, functools.partial)


def test_a_worker_killed_mid_load_leaves_the_load_to_this_process(
    inputs, tmp_path, workers_from_the_start, monkeypatch, caplog
):
    monkeypatch.setattr(pool_workers, "ProcessPoolExecutor", _KillingPool)
    _load(inputs, tmp_path / "one", 1)
    with caplog.at_level(logging.WARNING, logger="provlytics.pipeline.workers"):
        _load(inputs, tmp_path / "two", 2)
    assert "worker processes failed (BrokenProcessPool" in caplog.text
    assert "reading the remaining files in this process" in caplog.text
    _same_store(tmp_path / "one", tmp_path / "two")
    _no_stray_files(tmp_path / "two")


def test_workers_that_cannot_start_leave_the_store_load_to_this_process(
    inputs, tmp_path, workers_from_the_start, monkeypatch, caplog
):
    def dying_pool(workers, *, mp_context, initializer):
        return ProcessPoolExecutor(
            workers, mp_context=mp_context, initializer=functools.partial(os._exit, 3)
        )

    monkeypatch.setattr(pool_workers, "ProcessPoolExecutor", dying_pool)
    _load(inputs, tmp_path / "one", 1)
    with caplog.at_level(logging.WARNING, logger="provlytics.pipeline.workers"):
        _load(inputs, tmp_path / "two", 2)
    assert "worker processes failed" in caplog.text
    _same_store(tmp_path / "one", tmp_path / "two")
    _no_stray_files(tmp_path / "two")


def test_workers_start_only_on_cores_other_programs_leave_idle(monkeypatch):
    seconds = iter([100.0, 100.0 + 0.25 * 1.9])  # the machine's busy CPU time, two reads
    monkeypatch.setattr(pool_workers, "_busy_seconds", lambda: next(seconds))
    monkeypatch.setattr(pool_workers.os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    monkeypatch.setattr(pool_workers.time, "process_time", iter([5.0, 5.25]).__next__)
    monkeypatch.setattr(pool_workers.time, "monotonic", iter([0.0, 0.25]).__next__)
    monkeypatch.setattr(pool_workers.time, "sleep", lambda _seconds: None)
    # 1.9 cores busy, 1 of them this process: 0.9 busy with others, 4 - 1 - 0.9 -> 2 spare
    assert pool_workers.spare_cores() == 2


def test_with_no_core_to_spare_the_default_load_stays_in_this_process(
    inputs, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(pool_workers, "spare_cores", lambda: 0)
    monkeypatch.setattr(files_module, "PARALLEL_MIN_BYTES", 1)
    with caplog.at_level(logging.INFO, logger="provlytics.pipeline"):
        _load(inputs, tmp_path / "default", None)
    assert "no core to spare for worker processes: reading in this process" in caplog.text
    assert "0 of 14 files read by worker processes" in caplog.text
    assert "worker processes started" not in caplog.text


def test_id_hashes_are_the_same_in_another_process():
    ids = pa.array(["ev-1", "", None, "ev-2", "é" * 70, "ev-1"])
    code = (
        "import pyarrow as pa; from provlytics.store.pages import id_hashes;"
        "print(id_hashes(pa.array(['ev-1', '', None, 'ev-2', 'é' * 70, 'ev-1'])).tolist())"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = id_hashes(ids)
    assert json.loads(other.stdout) == here.tolist()
    assert here[0] == here[5] and here[1] == here[2]  # a null hashes as ""
    assert len(set(here.tolist())) == 4
    assert id_hashes(ids.slice(3)).tolist() == here[3:].tolist()
