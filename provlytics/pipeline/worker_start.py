"""What a worker process imports first. Importing this module
- tells pyarrow that pandas is not there, so that the worker never imports pandas (about
  50 MB a process);
- gives Arrow's allocations to jemalloc, which hands freed pages back to the system where
  the default, mimalloc, keeps them: about 45 MB less a worker at its peak
  (`arrow_pool.prefer_jemalloc`, before pyarrow is imported; unless the user set
  `ARROW_DEFAULT_MEMORY_POOL`).
Worker processes import it (the forkserver preloads it before the worker modules,
`workers._context`); a process that imports it keeps pyarrow's pandas integration off for
array-like checks until something requires pandas, and allocates from that pool. The
forkserver is the calling process's one server (`multiprocessing.forkserver`): pools of its
own that fork from it later get the same settings. `provlytics load` calls `without_pandas`
in its own process too (the command line chose jemalloc already, `provlytics.cli.main`).

pyarrow imports pandas lazily, on its first conversion from Python objects
(`pa.array(list)` asks whether the list is a pandas object: `pyarrow.lib._is_array_like`),
and remembers the answer. The normalizer converts Python lists at import and on every page,
and never hands pyarrow a pandas object, so the answer "no pandas" changes nothing in its
tables. Anything that does ask for pandas afterwards (`Table.to_pandas`) still imports it
then: pyarrow retries the import when pandas is required.
"""

from __future__ import annotations

import logging
import sys

from provlytics.pipeline.arrow_pool import prefer_jemalloc

prefer_jemalloc()

import pyarrow as pa  # noqa: E402 (after the pool is chosen)

logger = logging.getLogger(__name__)


class _NoPandas:
    """A meta path finder that refuses `pandas` (and lets every other name through)."""

    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None) -> None:
        """Raises ModuleNotFoundError for `pandas`; None (not found here) for any other name."""
        if fullname == "pandas":
            raise ModuleNotFoundError("pandas is not imported in worker processes", name=fullname)
        return None


def without_pandas() -> bool:
    """Have pyarrow settle, once for this process, that pandas is absent; False when pandas
    is imported already (nothing to save: pyarrow keeps using it)."""
    if "pandas" in sys.modules:
        return False
    sys.meta_path.insert(0, _NoPandas)
    try:
        pa.array([""])  # pyarrow's first conversion from Python objects tries pandas
    finally:
        sys.meta_path.remove(_NoPandas)
    logger.debug("worker process: pyarrow runs without pandas")
    return True


without_pandas()
logger.debug("worker process: Arrow allocates with %s", pa.default_memory_pool().backend_name)
