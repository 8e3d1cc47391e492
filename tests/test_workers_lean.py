"""Worker processes hold only what reading, normalizing and writing files need: no pandas,
no deltalake, not the store's reading side, and allocate with jemalloc, which returns freed
memory; their tables are those of one process. Real processes (forkserver). The command
line allocates with jemalloc too; a caller's own choice of pool is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import payloads as p
import pytest
import worker_probe
from pool_doubles import StartedAtOnce, write_worker_inputs

import provlytics as pv
from provlytics.parquet import read_manifest
from provlytics.pipeline import store_workers
from provlytics.pipeline import workers as pool_workers
from provlytics.schema import TABLE_NAMES


@pytest.fixture
def inputs(tmp_path_factory) -> Path:
    return write_worker_inputs(tmp_path_factory.mktemp("inputs"), 8, [p.job_created_aws()])


def test_workers_write_the_same_tables_without_pandas_or_deltalake(inputs, tmp_path, monkeypatch):
    monkeypatch.setattr(pool_workers, "ThreadPoolExecutor", StartedAtOnce)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)  # if the server starts now
    pv.load_to_parquet(inputs, tmp_path / "one", progress=False, workers=1, on_error="collect")
    monkeypatch.setattr(store_workers, "_write_in_worker", worker_probe.write_noting_modules)
    pv.load_to_parquet(inputs, tmp_path / "two", progress=False, workers=2, on_error="collect")

    notes = sorted(tmp_path.glob("modules-*.json"))
    assert notes  # the workers wrote files
    note = {"modules": [], "pool": "jemalloc" if sys.platform == "linux" else "system"}
    assert [json.loads(path.read_text()) for path in notes] == [note] * len(notes)
    one, two = pv.read_parquet(tmp_path / "one"), pv.read_parquet(tmp_path / "two")
    for name in TABLE_NAMES:
        assert two.table(name).equals(one.table(name)), name
    assert read_manifest(tmp_path / "two")["row_counts"] == {
        "events": 160, "steps": 280, "modified_properties": 880, "errors": 80, "job_status": 1,
    }  # fmt: skip


def test_after_the_worker_start_pyarrow_converts_without_pandas_and_imports_it_when_asked():
    code = (
        "import sys; import provlytics.pipeline.worker_start;"
        "import provlytics.pipeline.store_workers; import pyarrow as pa;"
        "table = pa.table({'a': pa.array([1, None])});"
        "print('pandas' in sys.modules, 'deltalake' in sys.modules);"
        "print(table.to_pandas()['a'].tolist(), 'pandas' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert run.stdout.splitlines() == ["False False", "[1.0, nan] True"]


def test_a_pool_the_user_chose_is_kept_in_workers():
    code = (
        "import provlytics.pipeline.worker_start; import pyarrow as pa;"
        "print(pa.default_memory_pool().backend_name)"
    )
    env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "system"}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert run.stdout == "system\n"


def test_the_command_line_loads_with_jemalloc_and_without_pandas(tmp_path):
    samples = Path(__file__).parents[1] / "data" / "samples" / "graph-v1"
    code = (
        "import sys; from click.testing import CliRunner; from provlytics.cli import main;"
        f"result = CliRunner().invoke(main, ['load', {str(samples)!r}, '--out', 'out']);"
        "import pyarrow as pa; print(result.exit_code, pa.default_memory_pool().backend_name,"
        "'pandas' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert run.stdout.splitlines()[-1] == "0 jemalloc False"  # nor pandas: ~45 MB
    assert (tmp_path / "out" / "manifest.json").is_file()
