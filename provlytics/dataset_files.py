"""The file names that tell a folder's kind: a dataset provlytics wrote (its manifest, or a
store's Delta tables) or saved logs (their suffixes).

Both the sources (a load leaves datasets out of its inputs) and the tables (reading a folder
of logs as a dataset is refused, pointing at `pv.load`) ask; neither may import the other
(`Sources -> Tables` and `Tables -> Sources` are never imports), so the answer lives here.
Standard library only.
"""

from __future__ import annotations

from pathlib import Path

MANIFEST = "manifest.json"
TABLE_FOLDERS = ("events", "steps", "modified_properties", "errors", "job_status")  # schema's
DATA_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv")
ARCHIVE_SUFFIX = ".zip"
LOG_SUFFIXES = (*DATA_SUFFIXES, ".gz", ARCHIVE_SUFFIX)  # a log file's last suffix


def is_dataset(folder: str | Path) -> bool:
    """Whether `folder` holds a dataset provlytics wrote: its `manifest.json`, or a store's
    Delta log written before the manifest (`is_store`)."""
    return (Path(folder) / MANIFEST).is_file() or is_store(folder)


def is_store(root: str | Path) -> bool:
    """Whether `root` holds a Delta store (any table with a `_delta_log`)."""
    return any((Path(root) / name / "_delta_log").is_dir() for name in TABLE_FOLDERS)
