"""A cell given up (its field null, its value kept in `extra`) reaches the user as a
`LoadWarning`, with or without worker processes, summed up per file and field so that many
bad cells give a few warnings; the command line says each once (found by a new user's
trial: a `Status` of `Bogus` in a portal download's steps file was only logged)."""

from __future__ import annotations

import csv
import logging
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import payloads as p
import pytest
from pool_doubles import StartedAtOnce

import provlytics as pv
from provlytics.pipeline import workers as pool_workers

PORTAL = Path(__file__).resolve().parent.parent / "data" / "samples" / "portal"
STEPS = "ProvisioningLogs_ProvisioningSteps.csv"
KEPT = "the field is null and its value kept in `extra`"
BOGUS = "'Status': not a known enumeration member: 'Bogus'; " + KEPT + " (1 record(s))"
RECORDS = 2500  # three pages of the general path (`sources.files.PAGE_SIZE`)


@pytest.fixture
def only_workers(monkeypatch):
    """Workers that read every file (none is read here while they are busy)."""
    monkeypatch.setattr(pool_workers, "ThreadPoolExecutor", StartedAtOnce)
    monkeypatch.setattr(pool_workers, "_head_done", lambda _pending: True)


def load_warnings(load: Callable[[], Any]) -> tuple[list[str], Any]:
    """The `LoadWarning`s a load warns, in order, and what it returned."""
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        result = load()
    return [str(w.message) for w in warned if issubclass(w.category, pv.LoadWarning)], result


def portal_download(folder: Path) -> Path:
    """The sample portal download with `Status` `Bogus` on line 4 of its steps file."""
    for source in PORTAL.glob("ProvisioningLogs*.csv"):
        shutil.copyfile(source, folder / source.name)
    steps = folder / STEPS
    with steps.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[3][rows[0].index("Status")] = "Bogus"  # line 4
    with steps.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return steps


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_a_bad_step_status_of_a_portal_download_is_a_load_warning(tmp_path, only_workers, workers):
    steps = portal_download(tmp_path)
    warned, frames = load_warnings(lambda: pv.load(tmp_path, workers=workers, progress=False))
    assert warned == [f"{steps}:4: {BOGUS}"]
    assert frames.events["extra"].fillna("").str.contains("Bogus").sum() == 1
    assert len(frames.steps) == 304 and frames.steps["status"].isna().sum() == 1


def graph_v1(i: int) -> dict[str, Any]:
    record = p.v1_success_aws()
    record["id"] = f"{record['id']}-{i}"
    record["provisioningAction"] = f"bogus{i}"
    record["provisioningStatusInfo"]["status"] = "maybe"
    return record


def diagnostic(i: int) -> dict[str, Any]:
    record = p.diagnostic_dropbox_skip()
    record["properties"]["id"] = f"{record['properties']['id']}-{i}"
    record["properties"]["provisioningAction"] = f"bogus{i}"
    record["properties"]["provisioningStatusInfo"]["Status"] = "maybe"
    return record


DIALECTS = {
    "graph_v1": (graph_v1, "provisioningAction", "provisioningStatusInfo.status"),
    "diagnostic": (
        diagnostic,
        "properties.provisioningAction",
        "properties.provisioningStatusInfo.Status",
    ),
}


def many_bad_cells(folder: Path, make: Callable[[int], dict[str, Any]]) -> Path:
    """A JSON lines file of `RECORDS` records, each with an unknown action of its own and
    the unknown status `maybe`."""
    path = folder / "many.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(make(i)) for i in range(RECORDS)) + b"\n")
    return path


def expected(path: Path, action: str, status: str) -> list[str]:
    member = "not a known enumeration member"
    also = "".join(f"; also {member}: 'bogus{i}'" for i in (1, 2))
    return [
        f"{path}:1: record 1: {action!r}: {member}: 'bogus0'; {KEPT} ({RECORDS} record(s)"
        f"{also}; ...)",
        f"{path}:1: record 1: {status!r}: {member}: 'maybe'; {KEPT} ({RECORDS} record(s))",
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_file_of_many_bad_cells_gives_one_warning_per_field(tmp_path, only_workers, dialect):
    make, action, status = DIALECTS[dialect]
    path = many_bad_cells(tmp_path, make)
    loads = [lambda w=w: pv.load(path, workers=w, progress=False) for w in (0, 2)]
    (alone, frames), (helped, _) = (load_warnings(load) for load in loads)
    assert alone == helped == expected(path, action, status)
    assert len(frames.events) == RECORDS  # nothing dropped
    assert frames.events["extra"].str.contains("bogus").all()


def test_the_command_line_says_each_field_given_up_once(tmp_path):
    path = many_bad_cells(tmp_path, graph_v1)
    command = [sys.executable, "-c", "from provlytics.cli import main; main()", "load"]
    command += [str(path), "--out", str(tmp_path / "store")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "kept in `extra`" in line]
    assert said == [
        f"WARNING provlytics.normalize.given_up: {message}"
        for message in expected(path, "provisioningAction", "provisioningStatusInfo.status")
    ]


def test_a_bad_cell_is_logged_once_too(tmp_path, caplog):
    steps = portal_download(tmp_path)
    with caplog.at_level(logging.WARNING), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pv.load(tmp_path, workers=0, progress=False)
    logged = [r.getMessage() for r in caplog.records if "kept in `extra`" in r.getMessage()]
    assert logged == [f"{steps}:4: {BOGUS}"]


@pytest.mark.parametrize("workers", [0, 2])
def test_a_job_field_of_an_unexpected_shape_is_a_load_warning(tmp_path, only_workers, workers):
    job = p.job_quarantined_aws()
    job["status"]["code"] = 99
    path = p.write_json(tmp_path / "jobs.json", p.job_list(job))
    warned, frames = load_warnings(lambda: pv.load(path, workers=workers, progress=False))
    assert warned == [
        f"{path}: record 1: job field status.code has an unexpected value (not a "
        "synchronizationStatusCode value: 99); kept in extra"
    ]
    assert len(frames.job_status) == 1


@pytest.mark.parametrize("spelled", ["²", "--5", "1_000", "٣"])
def test_a_duration_of_other_digits_is_given_up_not_a_crash(tmp_path, spelled):
    """`str.isdigit` passes "²" and (minus signs stripped) "--5", which `int` refuses: the
    general path raised a bare ValueError (found by the fast/general hypothesis test)."""
    record = p.v1_success_aws()
    record["durationInMilliseconds"] = spelled
    page = p.write_json(tmp_path / "page.json", p.graph_page(record))
    said, frames = load_warnings(lambda: pv.load(page))
    assert frames.events["duration_ms"].isna().all()
    assert orjson.loads(frames.events["extra"].iloc[0])["durationInMilliseconds"] == spelled
    assert len(said) == 1 and "'durationInMilliseconds'" in said[0], said
