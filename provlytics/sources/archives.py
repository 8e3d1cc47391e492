"""The `.zip` archives a reading pass reads members of, each opened once per process.

Opening an archive parses its central directory (the list of every member), so opening it
again for each member made reading an archive of n members cost n^2. Within `reading_pass()`
(a load, from listing its files to its last page), `opened(path)` gives the same open
`zipfile.ZipFile` for every member of `path`: at most `MAX_OPEN` archives stay open in a
process at once (the least recently used is closed first: a load of many archives holds
few file handles), and every one is closed when the outermost pass ends. Outside a pass,
each `opened` is an archive of its own, closed by its caller.

Worker processes read members too: a worker process of one load (`pipeline.workers`, which
ends with the load, its handles with it) holds its archives for its life (`hold_open`),
or until the load's end in it (`let_go`).
The cache is this process's: a child made by `fork` starts with none of its parent's.
"""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MAX_OPEN = 16  # archives kept open at once per process, within a pass


class _Cache:
    """The open archives of this process (`pid`), most recently used last."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.passes = 0  # reading passes active in this process
        self.held = False  # kept open until this process ends (`hold_open`)
        self.archives: OrderedDict[Path, zipfile.ZipFile] = OrderedDict()

    @property
    def active(self) -> bool:
        return self.held or self.passes > 0

    def close(self) -> None:
        while self.archives:
            _path, archive = self.archives.popitem(last=False)
            archive.close()  # a member still open keeps the file open until it is closed


_cache = _Cache()


def _current() -> _Cache:
    """This process's cache: a child forked mid-pass shares its parent's file offsets, so
    it starts a cache of its own (the parent's archives left to the parent)."""
    global _cache
    if _cache.pid != os.getpid():
        _cache = _Cache()
    return _cache


@contextmanager
def reading_pass() -> Iterator[None]:
    """While active, `opened` gives each archive open once in this process; passes nest
    (a load's inside a `file_tasks`'s), the outermost closing every archive as it ends,
    however it ends."""
    cache = _current()
    cache.passes += 1
    try:
        yield
    finally:
        cache.passes -= 1
        if not cache.active:
            cache.close()


def hold_open() -> None:
    """Keep the archives opened in this process open until it ends (bounded by `MAX_OPEN`):
    for a worker process that reads for one load only and ends with it."""
    _current().held = True


def let_go() -> None:
    """End `hold_open`: the archives held are closed (kept while a pass is active)."""
    cache = _current()
    cache.held = False
    if not cache.active:
        cache.close()


def opened(path: Path) -> tuple[zipfile.ZipFile, bool]:
    """The archive at `path`, and whether the caller owns it (must close it): outside a
    pass, a new archive it owns; within one, the pass's (opened once).

    Raises:
        OSError, zipfile.BadZipFile: the file cannot be opened, or is not an archive.
    """
    cache = _current()
    if not cache.active:
        return zipfile.ZipFile(path), True
    archive = cache.archives.get(path)
    if archive is not None:
        cache.archives.move_to_end(path)
        return archive, False
    archive = zipfile.ZipFile(path)
    cache.archives[path] = archive
    if len(cache.archives) > MAX_OPEN:
        _old, oldest = cache.archives.popitem(last=False)
        oldest.close()
    return archive, False


@contextmanager
def archive_at(path: Path) -> Iterator[zipfile.ZipFile]:
    """`opened(path)` for a `with` block, closed after it when the caller owns it.

    Raises:
        OSError, zipfile.BadZipFile: as `opened`.
    """
    archive, owned = opened(path)
    try:
        yield archive
    finally:
        if owned:
            archive.close()


def member_info(path: Path, member: str) -> zipfile.ZipInfo:
    """What the archive at `path` says of `member` (through the pass's archive, if any).

    Raises:
        OSError, zipfile.BadZipFile: as `opened`; KeyError: no such member.
    """
    with archive_at(path) as archive:
        return archive.getinfo(member)
