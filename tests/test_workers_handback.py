"""`pv.load` with worker processes: they hand their pages back as Arrow IPC files in a private
folder of the load (`pipeline.handback`), not pickled; the tables are those of one process,
and the folder is gone after the load however it ends. Real processes."""

from __future__ import annotations

import logging
import tempfile
import time
from contextlib import closing
from pathlib import Path

import numpy as np
import payloads as p
import pyarrow as pa
import pytest
from pool_doubles import KillingPool, StartedAtOnce, write_worker_inputs
from test_store_writes import record

import provlytics as pv
from provlytics.normalize.batch import PageTables, Reject
from provlytics.pipeline import handback
from provlytics.pipeline import workers as pool_workers
from provlytics.pipeline.route import NormalizedPage
from provlytics.schema import TABLE_NAMES
from provlytics.sources.files import file_tasks

FILES = 8


@pytest.fixture
def workers_from_the_start(monkeypatch):
    monkeypatch.setattr(pool_workers, "ThreadPoolExecutor", StartedAtOnce)


@pytest.fixture
def load_folders(tmp_path, monkeypatch) -> Path:
    """Where the loads' private folders go (`tempfile.mkdtemp`), instead of the system's."""
    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def handed(monkeypatch) -> list[list[str]]:
    """The IPC files of each file the workers handed back, as this process takes them."""
    taken: list[list[str]] = []
    original = pool_workers.take_back

    def take_back(files: handback.HandedFile) -> list[NormalizedPage]:
        taken.append(list(files.paths))
        return original(files)

    monkeypatch.setattr(pool_workers, "take_back", take_back)
    return taken


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """8 pages over three days, every id of a page again four pages later, one record
    without its id (a reject in collect mode, an error else) and one file of jobs."""
    return write_worker_inputs(tmp_path_factory.mktemp("inputs"), FILES, [p.job_created_aws()])


def _load(inputs: Path, workers: int) -> pv.ProvisioningFrames:
    return pv.load(inputs, progress=False, workers=workers, on_error="collect")


def _same_frames(one: pv.ProvisioningFrames, other: pv.ProvisioningFrames) -> None:
    for name in TABLE_NAMES:
        assert other.table(name).equals(one.table(name)), name
    assert (other.records_read, other.sources) == (one.records_read, one.sources)
    assert other.rejected == one.rejected


def test_two_workers_hand_back_the_tables_one_process_loads(
    inputs, load_folders, handed, workers_from_the_start
):
    one = _load(inputs, 1)
    two = _load(inputs, 2)
    _same_frames(one, two)
    assert two.counts() == {
        "events": 160, "steps": 280, "modified_properties": 880, "errors": 80, "job_status": 1,
    }  # fmt: skip
    assert two.records_read == 320
    assert [(r.origin, r.field, r.reason) for r in two.rejected] == [
        (f"{inputs / 'page-05.json'}: record 8", "id", "is missing")
    ]
    assert handed, "the workers handed back no file"
    private = {Path(path).parent for paths in handed for path in paths}
    assert [folder.parent for folder in private] == [load_folders]
    assert _load_folders(load_folders) == []


def test_an_error_in_a_file_leaves_no_folder_behind(
    tmp_path, load_folders, handed, workers_from_the_start
):
    for number in range(6):  # the second file, read by a worker, lacks an id
        records = [record(n, day=15) for n in range(40 * number, 40 * number + 40)]
        if number == 1:
            del records[7]["id"]
        p.write_json(tmp_path / f"page-{number}.json", p.graph_page(*records))
    with pytest.raises(pv.InputError, match=r"page-1\.json: record 8: 'id': is missing"):
        pv.load(sorted(tmp_path.glob("page-*.json")), progress=False, workers=2)  # raise
    assert len(handed) == 1  # the first file came back; the second failed in its worker
    assert _load_folders(load_folders) == []


def _load_folders(folder: Path) -> list[Path]:
    """The loads' private folders in `folder` (not multiprocessing's own, `pymp-*`)."""
    return list(folder.glob("provlytics-load-*"))


def test_a_load_interrupted_while_workers_hold_files_leaves_no_folder_behind(
    inputs, load_folders, workers_from_the_start
):
    pages = pool_workers.normalized_pages(file_tasks(inputs), "collect", workers=2)
    with pytest.raises(KeyboardInterrupt), closing(pages):
        next(pages)
        [folder] = _load_folders(load_folders)
        for _ in range(600):  # the files handed out meanwhile are written
            if len(list(folder.iterdir())) >= 4:
                break
            time.sleep(0.1)
        assert len(list(folder.iterdir())) >= 4  # the tables of files not taken back yet
        raise KeyboardInterrupt
    assert _load_folders(load_folders) == []


class _KillingPool(KillingPool):
    @staticmethod
    def is_file(function) -> bool:  # a file is not the start (`int`)
        return function is not int


def test_a_worker_killed_mid_load_leaves_the_files_to_this_process_and_no_folder(
    inputs, load_folders, handed, workers_from_the_start, monkeypatch, caplog
):
    monkeypatch.setattr(pool_workers, "ProcessPoolExecutor", _KillingPool)
    one = _load(inputs, 1)
    with caplog.at_level(logging.WARNING, logger="provlytics.pipeline.workers"):
        two = _load(inputs, 2)
    assert "worker processes failed (BrokenProcessPool" in caplog.text
    assert "reading the remaining files in this process" in caplog.text
    _same_frames(one, two)
    assert len(handed) >= 3  # the files before the kill (and the one after, if it ran)
    assert _load_folders(load_folders) == []


def test_without_a_temporary_folder_the_load_stays_in_this_process(
    inputs, tmp_path, monkeypatch, caplog, workers_from_the_start
):
    one = _load(inputs, 1)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with caplog.at_level(logging.INFO, logger="provlytics.pipeline.workers"):
        two = _load(inputs, 2)
    _same_frames(one, two)
    assert "no temporary folder for worker processes ([Errno 2]" in caplog.text
    assert "worker processes started" not in caplog.text


def _batch(values: list[str]) -> pa.RecordBatch:
    return pa.record_batch([pa.array(values)], names=["id"])


@pytest.mark.parametrize("mapped", [True, False], ids=["mapped", "read (Windows)"])
def test_pages_come_back_as_they_were_and_their_files_are_deleted(tmp_path, monkeypatch, mapped):
    monkeypatch.setattr(handback, "_MAP", mapped)
    rejects = [Reject("f.json: record 1", "id", "is missing", "{}")]
    other = pa.record_batch([pa.array([5])], names=["n"])  # another schema
    pages = [
        NormalizedPage(
            "f.json", 2, PageTables({"events": _batch(["a", "b"])}, {"events": [0, 2]}, [], 3)
        ),
        NormalizedPage(
            "f.json", 1, PageTables({"events": _batch(["c"])}, {"events": [0]}, rejects, 1)
        ),
        NormalizedPage("g.json", 0, pa.record_batch([pa.array([7])], names=["jobs"])),
        NormalizedPage("f.json", 1, PageTables({"events": other}, {"events": np.array([0])})),
    ]  # fmt: skip
    handed = handback.hand_back(pages, str(tmp_path), "000003")
    assert [Path(path).name for path in handed.paths] == [
        "000003-0.arrow", "000003-1.arrow", "000003-2.arrow",
    ]  # fmt: skip  # events, job_status, then events with another schema
    back = handback.take_back(handed)
    assert list(tmp_path.iterdir()) == []
    assert [(page.source, page.records) for page in back] == [
        ("f.json", 2), ("f.json", 1), ("g.json", 0), ("f.json", 1),
    ]  # fmt: skip
    assert back[2].tables.equals(pages[2].tables)
    for page, original in zip(back[:2] + back[3:], pages[:2] + pages[3:], strict=True):
        assert page.tables.batches["events"].equals(original.tables.batches["events"])
        assert page.tables.record_index["events"].tolist() == list(
            original.tables.record_index["events"]
        )
        assert (page.tables.rejects, page.tables.records) == (
            original.tables.rejects,
            original.tables.records,
        )


def test_a_page_that_fails_in_a_worker_leaves_none_of_its_files(tmp_path):
    def pages():
        yield NormalizedPage("f.json", 1, PageTables({"events": _batch(["a"])}, {"events": [0]}))
        raise pv.InputError("f.json", "not valid JSON")

    with pytest.raises(pv.InputError, match=r"f\.json: not valid JSON"):
        handback.hand_back(pages(), str(tmp_path), "000000")
    assert list(tmp_path.iterdir()) == []
