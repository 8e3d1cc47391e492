"""Loading with worker processes gives the same tables, in the same order, as one process."""

import pickle
from collections import deque
from pathlib import Path

import pytest

import provlytics as pv
from provlytics.errors import InputError
from provlytics.origin import Origin

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def test_two_workers_load_exactly_what_one_process_loads():
    one = pv.load(SAMPLES, workers=1, progress=False)
    two = pv.load(SAMPLES, workers=2, progress=False)
    for name in pv.SCHEMAS:
        assert two.table(name).equals(one.table(name)), name
    assert two.records_read == one.records_read


def test_a_bad_file_is_named_in_the_error_of_a_parallel_load(tmp_path):
    (tmp_path / "a.json").write_text('{"value": []}', encoding="utf-8")
    (tmp_path / "b.json").write_text('{"value": [', encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.json: not valid JSON"):
        pv.load(tmp_path, workers=2, progress=False)


def test_input_errors_survive_pickling_with_origin_and_field():
    error = InputError(Origin("f.json", record=3), "is missing", field="id")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.field) == (InputError, str(error), "id")


def test_files_taken_on_ahead_are_bounded_by_count_and_input_size():
    from provlytics.pipeline.workers import IN_FLIGHT_PER_WORKER, READ_AHEAD_BYTES, _room

    def held(*sizes):
        return deque((size, []) for size in sizes)

    big = READ_AHEAD_BYTES  # one file as large as the whole read-ahead budget
    assert _room(held(big, big, big), workers=2)  # two per worker, whatever their size
    assert not _room(held(big, big, big, big), workers=2)
    assert _room(held(1, 1, 1, 1), workers=2)  # small files: read further ahead
    assert not _room(held(*[1] * (IN_FLIGHT_PER_WORKER * 2)), workers=2)


def test_workers_started_in_the_background_start_in_the_loads_folder(tmp_path, monkeypatch):
    """A load ends (or changes folder) while its workers still start in the background: they
    start in the folder the load ran in, not in the caller's current one, which may be gone
    by the time a worker starts (a test's isolated folder, deleted: the worker failed to
    start and the interpreter hung at exit)."""
    import gc
    import os
    import threading
    import time

    from provlytics.pipeline.workers import PoolStart

    home, gone = tmp_path / "home", tmp_path / "gone"
    home.mkdir()
    gone.mkdir()
    monkeypatch.chdir(home)
    moved = threading.Event()

    def initializer(count, context):  # runs in the start thread, before any worker starts
        assert moved.wait(60)
        return gc.disable

    started = PoolStart(2, initializer)
    os.chdir(gone)  # the caller moves on (and will delete the folder) as the workers start
    moved.set()
    try:
        deadline = time.monotonic() + 120
        while not started.done() and time.monotonic() < deadline:
            time.sleep(0.05)
        pool = started.result()
        cwds = {pool.submit(os.getcwd).result(timeout=60) for _ in range(4)}
        assert cwds == {str(home)}
    finally:
        os.chdir(home)
        started.close(used=True)
