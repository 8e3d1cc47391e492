"""A load warns the same with worker processes as without: the `LoadWarning`s and the warnings
logged while reading a file in a worker are said again in the loading process (a worker has
no user to warn, and its log goes nowhere). Real processes."""

from __future__ import annotations

import csv
import functools
import json
import logging
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from pool_doubles import KillingPool, StartedAtOnce

import provlytics as pv
from provlytics.pipeline import workers as pool_workers

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
PORTAL_MAIN = SAMPLES / "portal" / "ProvisioningLogs.csv"
GRAPH_PAGE = SAMPLES / "graph-v1" / "provisioning-page-001.json"


@pytest.fixture
def only_workers(monkeypatch):
    """Workers that run before the load goes on and read every file (none is read here
    while they are busy)."""
    monkeypatch.setattr(pool_workers, "ThreadPoolExecutor", StartedAtOnce)
    monkeypatch.setattr(pool_workers, "_head_done", lambda _pending: True)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Three portal main files without their companions (two `LoadWarning`s each), a page
    with an unknown action (a `LoadWarning`) and a record without its id (a reject in
    collect mode), and a page with an unknown status (a `LoadWarning`)."""
    folder = tmp_path_factory.mktemp("inputs")
    for name in "abc":
        (folder / name).mkdir()
        shutil.copyfile(PORTAL_MAIN, folder / name / PORTAL_MAIN.name)
    page = json.loads(GRAPH_PAGE.read_text())
    page["value"][1]["provisioningAction"] = "bogus"
    del page["value"][2]["id"]
    (folder / "d-page.json").write_text(json.dumps(page))
    page = json.loads(GRAPH_PAGE.read_text())
    page["value"][0]["provisioningStatusInfo"]["status"] = "maybe"
    (folder / "e-page.json").write_text(json.dumps(page))
    return folder


Said = tuple[list[str], list[tuple[str, str]]]


def said(load: Callable[[], object], caplog: pytest.LogCaptureFixture) -> Said:
    """The `LoadWarning`s a load warns, in order, and the warnings it logs (logger, message)."""
    caplog.clear()
    with warnings.catch_warnings(record=True) as warned, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        load()
    loaded = [str(w.message) for w in warned if issubclass(w.category, pv.LoadWarning)]
    logged = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    return loaded, logged


def given_up(inputs: Path) -> list[str]:
    """The `LoadWarning`s of the two cells given up, each at the end of its file."""
    kept = "the field is null and its value kept in `extra` (1 record(s))"
    return [
        f"{inputs / 'd-page.json'}: record 2: 'provisioningAction': not a known enumeration "
        f"member: 'bogus'; {kept}",
        f"{inputs / 'e-page.json'}: record 1: 'provisioningStatusInfo.status': not a known "
        f"enumeration member: 'maybe'; {kept}",
    ]


def expected_load_warnings(inputs: Path) -> list[str]:
    missing = "file was not found; its events load without them"
    return [
        f"{inputs / name / PORTAL_MAIN.name}: its {kind} {missing}"
        for name in "abc"
        for kind in ("ProvisioningSteps", "ModifiedProperties")
    ]


def test_load_warns_the_same_with_workers(inputs, only_workers, caplog):
    def load(workers: int) -> Callable[[], object]:
        return lambda: pv.load(inputs, workers=workers, on_error="collect", progress=False)

    one, two = said(load(0), caplog), said(load(2), caplog)
    assert two[0] == one[0]  # the same LoadWarnings, in the same order
    assert sorted(two[1]) == sorted(one[1])  # and the same log lines
    first = f"{inputs / 'd-page.json'}: record 3: 'id': is missing"
    assert one[0] == [
        *expected_load_warnings(inputs),
        *given_up(inputs),
        f"1 record or file set aside, listed in frames.rejects; the first: {first}",
    ]
    cells = [message for name, message in one[1] if name == "provlytics.normalize.given_up"]
    assert cells == given_up(inputs)  # logged too, once


def test_files_read_here_while_workers_are_busy_warn_in_file_order(inputs, monkeypatch, caplog):
    monkeypatch.setattr(pool_workers, "ThreadPoolExecutor", StartedAtOnce)
    read_here: list[str] = []
    original = pool_workers.read_here

    def counted(task, on_error):
        read_here.append(task.file.name)
        return original(task, on_error)

    monkeypatch.setattr(pool_workers, "read_here", counted)
    one = said(lambda: pv.load(inputs, workers=0, on_error="collect", progress=False), caplog)
    two = said(lambda: pv.load(inputs, workers=2, on_error="collect", progress=False), caplog)
    assert read_here, "no file was read here"
    assert two[0] == one[0]
    assert sorted(two[1]) == sorted(one[1])


def test_load_to_parquet_warns_the_same_with_workers(inputs, only_workers, tmp_path, caplog):
    def load(workers: int) -> Callable[[], object]:
        out = tmp_path / f"store-{workers}"
        return lambda: pv.load_to_parquet(
            inputs, out, workers=workers, on_error="collect", progress=False
        )

    one, two = said(load(0), caplog), said(load(2), caplog)
    assert two[0] == one[0]
    assert sorted(two[1]) == sorted(one[1])
    rejected = f"rejected {inputs / 'd-page.json'}: record 3: 'id': is missing"
    d_page, e_page = given_up(inputs)
    assert one[0] == [*expected_load_warnings(inputs), d_page, rejected, e_page]


@pytest.mark.parametrize("route", ["load", "load_to_parquet"])
def test_a_file_that_stops_the_load_in_a_worker_warns_first(tmp_path, only_workers, caplog, route):
    """The warnings a file gave before its error, then the error, as without workers."""
    shutil.copyfile(GRAPH_PAGE, tmp_path / "a-page.json")
    with PORTAL_MAIN.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[3][rows[0].index("Change Id")] = ""
    (tmp_path / "b").mkdir()
    with (tmp_path / "b" / PORTAL_MAIN.name).open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)

    def load(workers: int) -> Callable[[], object]:
        if route == "load":
            return lambda: pv.load(tmp_path, workers=workers, progress=False)
        out = tmp_path / f"store-{workers}"
        return lambda: pv.load_to_parquet(tmp_path, out, workers=workers, progress=False)

    outcomes = []
    for workers in (0, 2):
        with pytest.raises(pv.InputError) as info:
            said(load(workers), caplog)
        outcomes.append((str(info.value), [r.getMessage() for r in caplog.records]))
    assert outcomes[1] == outcomes[0]
    main = tmp_path / "b" / PORTAL_MAIN.name
    assert outcomes[0][0] == f"{main}:4: 'Change Id': is missing"
    assert outcomes[0][1] == [
        f"{main}: its ProvisioningSteps file was not found; its events load without them",
        f"{main}: its ModifiedProperties file was not found; its events load without them",
    ]


class _KillingPool(KillingPool):
    @staticmethod
    def is_file(function) -> bool:  # a file is a partial (not a start or finish)
        return isinstance(function, functools.partial)


@pytest.mark.parametrize("route", ["load", "load_to_parquet"])
def test_a_worker_killed_mid_load_warns_each_file_once(
    inputs, only_workers, monkeypatch, tmp_path, caplog, route
):
    """The files read again in this process after a worker died (those whose results were
    given out already, in a store load) are not warned twice."""

    def load(workers: int) -> Callable[[], object]:
        if route == "load":
            return lambda: pv.load(inputs, workers=workers, on_error="collect", progress=False)
        out = tmp_path / f"store-{workers}"
        return lambda: pv.load_to_parquet(
            inputs, out, workers=workers, on_error="collect", progress=False
        )

    one = said(load(0), caplog)
    monkeypatch.setattr(pool_workers, "ProcessPoolExecutor", _KillingPool)
    two = said(load(2), caplog)
    assert "worker processes failed (BrokenProcessPool" in " ".join(m for _n, m in two[1])
    assert two[0] == one[0]
