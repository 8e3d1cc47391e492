"""Which files a load reads: files named, data files below folders, glob matches, and the
members of `.zip` archives. Naming nothing readable is an error, never an empty load."""

from __future__ import annotations

import glob
import logging
import os
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from provlytics.dataset_files import ARCHIVE_SUFFIX, DATA_SUFFIXES, is_dataset
from provlytics.errors import InputError
from provlytics.sources.archives import archive_at
from provlytics.sources.reading import InputFile, data_suffix, display_path

logger = logging.getLogger(__name__)

_GLOB_CHARACTERS = frozenset("*?[")


def expand_inputs(
    paths: str | Path | Iterable[str | Path], *, skip: Iterable[str | Path] = ()
) -> list[InputFile]:
    """The files to read, in the order named (a folder's or glob's files sorted).

    Hidden files and folders below a folder named are left out, and so are the folders in
    `skip` (a load's output folder) and provlytics datasets (`is_dataset`: a store or a
    snapshot, e.g. a report folder or a store written inside its input folder), also where
    a glob matches them or files in them, each logged at INFO; archives are opened and
    their data members listed in archive order.

    Raises:
        InputError: a path that does not exist and matches nothing, a glob matching no file,
            an unreadable archive, a provlytics dataset named as an input, not by a glob
            (read it with `pv.read_parquet` or `provlytics report`), or no data file found at
            all (names what was searched).
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    named = list(paths)
    skipped = {Path(p).resolve() for p in skip}
    files: list[InputFile] = []
    inside: dict[Path, str | None] = {}  # folder -> why its files are left out, if they are
    for raw in named:
        globbed = not Path(raw).exists()
        for path in _matches(raw):
            if globbed and _in_dataset(path, skipped, inside):
                continue
            if path.is_dir():
                _refuse_dataset(path)
                found = sorted(_files_below(path, skipped))
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


def _refuse_dataset(folder: Path) -> None:
    if is_dataset(folder):
        shown = display_path(folder)
        raise InputError(
            shown,
            "a provlytics dataset (it has a manifest.json or Delta tables), not saved "
            f"logs: read it with pv.read_parquet({str(folder)!r}), or give it to "
            "`provlytics report` alone",
        )


def _in_dataset(path: Path, skipped: set[Path], inside: dict[Path, str | None]) -> bool:
    """Whether a path a glob matched is, or is below, a provlytics dataset or a folder in
    `skipped` (logged at INFO); `inside` caches each folder's `_skip_reason`."""
    for folder in (path, *path.parents):
        if folder not in inside:
            inside[folder] = _skip_reason(folder, skipped) if folder.is_dir() else None
        if inside[folder] is not None:
            shown = display_path(folder)
            logger.info("skipping %s: in %s, %s", display_path(path), shown, inside[folder])
            return True
    return False


def _skip_reason(folder: Path, skipped: set[Path]) -> str | None:
    """Why a folder's files are not read (the output folder, a dataset), or None."""
    if folder.resolve() in skipped:
        return "the output folder of this load"
    if is_dataset(folder):
        return "a provlytics dataset, not saved logs"
    return None


def _files_below(root: Path, skipped: set[Path]) -> Iterator[Path]:
    """The visible files below `root`, leaving out the folders in `skipped` and datasets."""
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        kept = []
        for name in sorted(dirs):
            if name.startswith("."):
                continue
            why = _skip_reason(here / name, skipped)
            if why is None:
                kept.append(name)
            else:
                logger.info("skipping %s: %s", display_path(here / name), why)
        dirs[:] = kept
        yield from (here / n for n in names if not n.startswith(".") and (here / n).is_file())


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
    if named and path.suffix.lower() in _WORKBOOK_SUFFIXES:
        raise InputError(
            display_path(path),
            "an Excel workbook: provlytics reads CSV and JSON exports; save it as CSV "
            "(comma delimited) or load the export it came from",
        )
    if named or data_suffix(path) in DATA_SUFFIXES:
        return [InputFile.at(path)]
    logger.info("skipping %s: not a data file (%s)", display_path(path), ", ".join(DATA_SUFFIXES))
    return []


_WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})


def _members(path: Path) -> list[InputFile]:
    try:
        with archive_at(path) as archive:  # within a reading pass, kept: read on from it
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
