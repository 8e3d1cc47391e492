"""What tells a dataset folder from a folder of logs, asked by the sources and the tables."""

from __future__ import annotations

from pathlib import Path

import pytest

import provlytics as pv
from provlytics.dataset_files import TABLE_FOLDERS, is_dataset
from provlytics.errors import InputError
from provlytics.schema import TABLE_NAMES

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def test_the_table_folders_are_the_schema_tables() -> None:
    assert TABLE_FOLDERS == TABLE_NAMES


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        ({"manifest.json": "file"}, True),
        ({"errors/_delta_log": "dir"}, True),
        ({"manifest.json": "dir"}, False),
        ({"events/_delta_log": "file"}, False),
        ({"page.json": "file", "events": "dir"}, False),
    ],
)
def test_is_dataset(tmp_path: Path, made: dict[str, str], expected: bool) -> None:
    for name, kind in made.items():
        path = tmp_path / name
        if kind == "dir":
            path.mkdir(parents=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("{}")
    assert is_dataset(tmp_path) is expected
    assert is_dataset(str(tmp_path)) is expected


def test_a_store_is_refused_as_logs_and_logs_are_refused_as_a_dataset(tmp_path: Path) -> None:
    store = tmp_path / "store"
    pv.load_to_parquet(SAMPLES / "graph-v1", store, progress=False)
    with pytest.raises(InputError, match="a provlytics dataset"):
        pv.load(store)
    with pytest.raises(InputError, match=r"\(no manifest\.json\) but it holds 3 log files"):
        pv.read_parquet(SAMPLES / "graph-v1")


@pytest.mark.parametrize("name", ["page.json.gz", "export.zip", "page.ndjson", "sign-ins.CSV"])
def test_a_folder_of_one_log_file_is_refused_as_a_dataset(tmp_path: Path, name: str) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / name).write_bytes(b"")
    with pytest.raises(InputError, match=r"but it holds 1 log file: read them with pv\.load"):
        pv.read_parquet(tmp_path / "logs")
