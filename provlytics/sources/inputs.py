"""Which files a load reads: files named, data files below folders, glob matches, and the
members of `.zip` archives. Naming nothing readable is an error, never an empty load."""

from __future__ import annotations

import glob
import logging
import zipfile
from collections.abc import Iterable
from pathlib import Path

from provlytics.errors import InputError
from provlytics.sources.reading import InputFile, data_suffix, display_path

logger = logging.getLogger(__name__)

DATA_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv")
ARCHIVE_SUFFIX = ".zip"
_GLOB_CHARACTERS = frozenset("*?[")


def expand_inputs(paths: str | Path | Iterable[str | Path]) -> list[InputFile]:
    """The files to read, in the order named (a folder's or glob's files sorted).

    Hidden files and folders below a folder named are left out; archives are opened and their
    data members listed in archive order.

    Raises:
        InputError: a path that does not exist and matches nothing, a glob matching no file,
            an unreadable archive, or no data file found at all (names what was searched).
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    named = list(paths)
    files: list[InputFile] = []
    for raw in named:
        for path in _matches(raw):
            if path.is_dir():
                found = sorted(p for p in path.rglob("*") if p.is_file() and _visible(p, path))
                files += [f for p in found for f in _inputs_of(p, named=False)]
            else:
                files += _inputs_of(path, named=True)
    if not files:
        searched = ", ".join(display_path(p) for p in named) or "no path given"
        raise InputError(
            searched,
            f"no provisioning data found (looked for {', '.join(DATA_SUFFIXES)} files, "
            f"gzipped or in {ARCHIVE_SUFFIX} archives)",
        )
    return files


def _matches(raw: str | Path) -> list[Path]:
    path = Path(raw)
    if path.exists():
        return [path]
    text = str(raw)
    if _GLOB_CHARACTERS & set(text):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True))
        if not found:
            raise InputError(display_path(text), "no file matches this pattern")
        return found
    raise InputError(display_path(text), "no such file or folder")


def _inputs_of(path: Path, *, named: bool) -> list[InputFile]:
    """The inputs of one file: itself, or its archive's data members."""
    if path.suffix.lower() == ARCHIVE_SUFFIX:
        return _members(path)
    if named or data_suffix(path) in DATA_SUFFIXES:
        return [InputFile.at(path)]
    logger.info("skipping %s: not a data file (%s)", display_path(path), ", ".join(DATA_SUFFIXES))
    return []


def _members(path: Path) -> list[InputFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(display_path(path), f"not a readable zip archive ({exc})") from exc
    members = []
    for info in infos:
        parts = Path(info.filename).parts
        hidden = any(part.startswith(".") or part == "__MACOSX" for part in parts)
        if not hidden and data_suffix(info.filename) in DATA_SUFFIXES:
            members.append(InputFile.at(path, info.filename, info.compress_size))
    return members


def _visible(path: Path, root: Path) -> bool:
    return not any(part.startswith(".") for part in path.relative_to(root).parts)
