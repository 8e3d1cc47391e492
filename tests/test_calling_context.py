"""`pv.load` from any calling context: a script without a main guard, `python -` on standard
input, `python -c` (whose `__main__` has no file, as in a notebook), a thread, the spawn start
method Windows uses, and worker processes that die (two workers asked for: by default a busy
machine gets none). The folder is large enough for the loader to start workers on its own
(`loader.PARALLEL_MIN_BYTES`, two files or more) where cores are spare."""

from __future__ import annotations

import functools
import gzip
import logging
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import provlytics as pv
from provlytics.pipeline import workers as tasks
from provlytics.pipeline.files import PARALLEL_MIN_BYTES

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "samples" / "ndjson"
RECORDS_PER_COPY = 500  # lines of the sample; 500 distinct events
COPIES_PER_FILE = 10
FILES = 3

# The load reads files itself while its workers start, and a small input may be read before
# they run; the tests make it wait for their start so that the workers do read (the calling
# context is what they test).
WAIT_FOR_WORKERS = (
    "import provlytics.pipeline.workers as _workers\n"
    "_workers.PoolStart.done = lambda self: self._future.exception() is None or True\n"
)
SCRIPT = (
    WAIT_FOR_WORKERS
    + """\
import logging, sys
import provlytics as pv
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
logging.getLogger("provlytics.pipeline.workers").setLevel(logging.INFO)
frames = pv.load(FOLDER, progress=False, workers=2)
print("LOADED", frames.records_read, len(frames.events))
"""
)


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    lines = gzip.decompress((SAMPLE / "provisioning.ndjson.gz").read_bytes())
    for index in range(FILES):
        (folder / f"part-{index}.ndjson").write_bytes(lines * COPIES_PER_FILE)
    assert sum(f.stat().st_size for f in folder.iterdir()) > PARALLEL_MIN_BYTES
    return folder


def _script(folder: Path, prelude: str = "") -> str:
    return prelude + SCRIPT.replace("FOLDER", repr(str(folder)))


def _check(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"LOADED {FILES * COPIES_PER_FILE * 500} 500"
    assert "Traceback" not in result.stderr
    assert "worker processes failed" not in result.stderr
    assert "worker processes started" in result.stderr  # the load did use workers


def test_a_script_without_a_main_guard(big_folder, tmp_path):
    script = tmp_path / "analyse.py"
    script.write_text(_script(big_folder), encoding="utf-8")
    _check(
        subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    )


def test_a_script_on_standard_input(big_folder):
    result = subprocess.run(
        [sys.executable, "-"],
        input=_script(big_folder),
        capture_output=True,
        text=True,
        timeout=300,
    )
    _check(result)


def test_python_dash_c(big_folder):
    result = subprocess.run(
        [sys.executable, "-c", _script(big_folder)], capture_output=True, text=True, timeout=300
    )
    _check(result)


def test_spawned_workers_as_on_windows_without_a_main_guard(big_folder, tmp_path):
    prelude = (
        "import multiprocessing\n"
        "import provlytics.pipeline.workers as tasks\n"
        "tasks._context = lambda: multiprocessing.get_context('spawn')\n"
    )
    script = tmp_path / "windows_like.py"
    script.write_text(_script(big_folder, prelude), encoding="utf-8")
    _check(
        subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    )


def _wait_for_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """As WAIT_FOR_WORKERS, in this process."""
    monkeypatch.setattr(
        tasks.PoolStart, "done", lambda self: self._future.exception() is None or True
    )


def test_a_thread(big_folder, caplog, monkeypatch):
    _wait_for_workers(monkeypatch)
    results: dict[str, pv.ProvisioningFrames] = {}

    def work() -> None:
        results["frames"] = pv.load(big_folder, progress=False, workers=2)

    with caplog.at_level(logging.INFO, logger="provlytics.pipeline.workers"):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join(300)
    frames = results["frames"]
    assert (frames.records_read, len(frames.events)) == (FILES * COPIES_PER_FILE * 500, 500)
    assert "worker processes started" in caplog.text


def test_workers_that_die_leave_the_load_to_this_process(big_folder, caplog, monkeypatch):
    def dying_pool(workers, *, mp_context, initializer):
        return ProcessPoolExecutor(
            workers, mp_context=mp_context, initializer=functools.partial(os._exit, 3)
        )

    monkeypatch.setattr(tasks, "ProcessPoolExecutor", dying_pool)
    _wait_for_workers(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="provlytics.pipeline.workers"):
        frames = pv.load(big_folder, progress=False, workers=2)
    assert (frames.records_read, len(frames.events)) == (FILES * COPIES_PER_FILE * 500, 500)
    # The pool notices the dead workers either as a broken pool or, when the forkserver loses
    # its child mid-handshake, as an OSError from the pipe; both must fall back the same way.
    assert re.search(
        r"worker processes failed \((BrokenProcessPool|OSError)\b.*\); "
        r"reading the remaining files in this process",
        caplog.text,
    ), caplog.text


def test_workers_that_cannot_start_leave_the_load_to_this_process(tmp_path, caplog, monkeypatch):
    class NoProcesses:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def submit(self, *args: object, **kwargs: object) -> None:
            raise OSError(24, "Too many open files")

        def shutdown(self, *args: object, **kwargs: object) -> None:
            pass

        def __enter__(self) -> NoProcesses:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    for index in range(3):
        (tmp_path / f"p{index}.ndjson").write_bytes(
            gzip.decompress((SAMPLE / "provisioning.ndjson.gz").read_bytes())
        )
    monkeypatch.setattr(tasks, "ProcessPoolExecutor", NoProcesses)
    with caplog.at_level(logging.WARNING, logger="provlytics.pipeline.workers"):
        frames = pv.load(tmp_path, workers=2, progress=False)
    assert (frames.records_read, len(frames.events)) == (1500, 500)
    assert "worker processes failed (OSError: [Errno 24] Too many open files)" in caplog.text


def test_the_main_module_is_only_hidden_from_provlytics_workers():
    """Other code's processes still get `__main__` (the filter is per thread, while
    provlytics starts its workers)."""
    import multiprocessing.spawn

    with tasks._workers_without_main():
        inside = multiprocessing.spawn.get_preparation_data("x")
    outside = multiprocessing.spawn.get_preparation_data("x")
    main_keys = {"init_main_from_path", "init_main_from_name"}
    assert not main_keys & set(inside)
    assert main_keys & set(outside)  # pytest runs from a file or as a module


def test_a_frozen_executable_reads_in_its_own_process(big_folder, monkeypatch):
    from provlytics.pipeline.files import _worker_count
    from provlytics.sources.files import file_tasks

    found = file_tasks(big_folder)
    assert _worker_count(found, None) is None  # as many as cores are spare
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert _worker_count(found, None) == 0
    assert _worker_count(found, 2) == 2
