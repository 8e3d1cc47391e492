"""A `.zip` archive of many members loads what its members unzipped load, opening the archive
once per load in each process, and leaves no file handle open once the load is over."""

from __future__ import annotations

import gzip
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import orjson
import payloads as p
import pytest
from pool_doubles import StartedAtOnce
from test_store_writes import record, same_tables

import provlytics as pv
from provlytics.errors import InputError
from provlytics.sources import archives
from provlytics.sources.files import file_tasks

MEMBERS = 300
WRITTEN = (2026, 7, 20, 9, 30, 0)  # every member's time, in the archive and unzipped


def _member(number: int) -> tuple[str, bytes]:
    """Member `number`: a Graph page of two records, JSON lines of two, or a job list."""
    first = [record(2 * number + k, day=10 + number % 5) for k in range(2)]
    if number % 50 == 7:
        return f"jobs/list-{number:04d}.json", orjson.dumps(p.job_list(p.job_quarantined_aws()))
    if number % 3 == 1:
        text = b"\n".join(orjson.dumps(r) for r in first) + b"\n"
        return f"lines/part-{number:04d}.ndjson", text
    return f"pages/page-{number:04d}.json", orjson.dumps(p.graph_page(*first))


def _events(members: int) -> int:
    """The events of the first `members` members (two a member, none in a job list)."""
    return 2 * members - 2 * len(range(7, members, 50))


def _archive_and_folder(tmp_path: Path, members: int = MEMBERS) -> tuple[Path, Path]:
    """The same members in `capture.zip` (deflated) and unzipped below `unzipped/`, in the
    same order (the folder's files sorted, the archive's as written)."""
    archive, folder = tmp_path / "capture.zip", tmp_path / "unzipped"
    tmp_path.mkdir(parents=True, exist_ok=True)
    named = sorted(_member(n) for n in range(members))
    stamp = datetime(*WRITTEN, tzinfo=UTC).timestamp()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in named:
            zipped.writestr(zipfile.ZipInfo(name, WRITTEN), data, zipfile.ZIP_DEFLATED)
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.utime(path, (stamp, stamp))  # a job list's fallback time: the file's
    return archive, folder


def _handles_on(path: Path) -> list[str]:
    """This process's open file descriptors on `path`."""
    fds = Path("/proc/self/fd")
    found = []
    for fd in fds.iterdir():
        try:
            if Path(os.readlink(fd)) == path.resolve():
                found.append(fd.name)
        except OSError:  # closed meanwhile (the listing's own descriptor)
            continue
    return found


needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")


@pytest.mark.parametrize("workers", [0, 2])
def test_an_archive_of_hundreds_of_members_loads_what_they_load_unzipped(
    tmp_path, monkeypatch, workers
):
    # workers take files from the first one (else this process reads small inputs alone)
    monkeypatch.setattr("provlytics.pipeline.workers.ThreadPoolExecutor", StartedAtOnce)
    archive, folder = _archive_and_folder(tmp_path)
    zipped = pv.load(archive, workers=workers, progress=False)
    unzipped = pv.load(folder, workers=0, progress=False)
    same_tables(zipped, unzipped)
    assert len(zipped.events) == _events(MEMBERS)
    assert len(zipped.job_status) > 0
    assert zipped.records_read == unzipped.records_read


def test_an_archive_loaded_into_a_store_by_workers_holds_what_its_members_load(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("provlytics.pipeline.workers.ThreadPoolExecutor", StartedAtOnce)
    archive, folder = _archive_and_folder(tmp_path, members=120)
    manifest = pv.load_to_parquet(archive, tmp_path / "store", workers=2, progress=False)
    assert len(manifest["sources"]) == 120
    same_tables(pv.read_parquet(tmp_path / "store"), pv.load(folder, progress=False))


def test_a_load_opens_its_archive_once_however_many_members(tmp_path, monkeypatch):
    archive, _folder = _archive_and_folder(tmp_path, members=60)
    opened: list[Path] = []

    class Counted(zipfile.ZipFile):
        def __init__(self, file, *args, **kwargs):
            opened.append(Path(file))
            super().__init__(file, *args, **kwargs)

    monkeypatch.setattr(zipfile, "ZipFile", Counted)
    frames = pv.load(archive, workers=0, progress=False)
    assert len(frames.events) == _events(60)
    assert opened == [archive]


@needs_proc
def test_no_handle_on_the_archive_outlives_the_load(tmp_path):
    archive, _folder = _archive_and_folder(tmp_path, members=40)
    with archive.open("rb"):  # the test's own handle, to show the check sees handles
        assert len(_handles_on(archive)) == 1
    pv.load(archive, workers=0, progress=False)
    file_tasks(archive)
    pv.load_to_parquet(archive, tmp_path / "store", workers=0, progress=False)
    assert _handles_on(archive) == []


@needs_proc
def test_a_bad_member_is_named_and_the_archive_is_closed_after_the_error(tmp_path):
    archive, _folder = _archive_and_folder(tmp_path, members=40)
    with zipfile.ZipFile(archive, "a") as zipped:
        zipped.writestr("pages/page-0020b.json", b'{"value": [')  # between 0020 and 0021
    with pytest.raises(InputError, match=r"capture\.zip!pages/page-0020b\.json: not valid JSON"):
        pv.load(archive, workers=0, progress=False)
    assert _handles_on(archive) == []
    frames = pv.load(archive, workers=0, on_error="collect", progress=False)
    assert list(frames.rejects["origin"]) == [f"{archive}!pages/page-0020b.json"]
    assert len(frames.events) == _events(40)
    assert _handles_on(archive) == []


@needs_proc
def test_many_archives_in_one_load_hold_few_handles_at_once(tmp_path, monkeypatch):
    """Past `MAX_OPEN` archives the least recently used is closed: a load of many archives
    keeps few handles, and still reads each member."""
    monkeypatch.setattr(archives, "MAX_OPEN", 2)
    paths = []
    for number in range(5):
        paths.append(_archive_and_folder(tmp_path / f"a{number}", members=4)[0])
    held = []
    real_open = archives.opened

    def watched(path):
        answer = real_open(path)
        held.append(sum(len(_handles_on(a)) for a in paths))
        return answer

    monkeypatch.setattr(archives, "opened", watched)
    monkeypatch.setattr("provlytics.sources.reading.opened", watched)
    frames = pv.load(paths, workers=0, progress=False)
    assert frames.records_read == 5 * _events(4)  # (the same events in each)
    assert max(held) <= 2 + 1  # the archives kept, and a member being read
    assert sum(len(_handles_on(a)) for a in paths) == 0


@pytest.mark.parametrize("limit", [2**20, 2**30])
def test_a_gzip_file_in_a_deflated_member_is_still_bounded(tmp_path, monkeypatch, limit):
    """A member read in one pass (small for the limit) still stops at the limit when it
    holds a gzip file: the two compressions' ratios multiply."""
    page = orjson.dumps(p.graph_page(record(1, day=10)))
    bomb = gzip.compress(page[:-2] + b" " * (4 * 2**20) + page[-2:])
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("bomb.json", bomb)
        zipped.writestr("page.json", page)
    monkeypatch.setenv("PROVLYTICS_MAX_EXPANDED_BYTES", str(limit))
    if limit < 4 * 2**20:
        with pytest.raises(InputError, match=rf"a\.zip!bomb\.json: expands past {limit} bytes"):
            pv.load(archive, workers=0, progress=False)
    else:
        assert pv.load(archive, workers=0, progress=False).records_read == 2
