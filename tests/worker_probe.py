"""For the worker memory tests: a worker's file job that also notes which of the modules a
worker must not need its process has imported, and its Arrow memory pool (in a JSON file
beside the store)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pyarrow as pa

from provlytics.pipeline import store_workers

PARENT_ONLY = ("pandas", "deltalake", "provlytics.store.read", "provlytics.store.commit")


def write_noting_modules(
    task: object, index: int, *, on_error: str, root: str, load: str
) -> store_workers.FileDone:
    """`store_workers._write_in_worker`, then `modules-<pid>.json` beside the store `root`:
    the sorted names of `PARENT_ONLY` this process holds and its pool's backend name."""
    done = store_workers._write_in_worker(task, index, on_error=on_error, root=root, load=load)
    held = sorted(name for name in PARENT_ONLY if name in sys.modules)
    note = {"modules": held, "pool": pa.default_memory_pool().backend_name}
    (Path(root).parent / f"modules-{os.getpid()}.json").write_text(json.dumps(note))
    return done
