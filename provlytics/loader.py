"""`load` and `load_to_parquet`: saved files of any dialect -> the canonical tables.

The public place of the file loads; they run on the pipeline (`provlytics.pipeline.files`).
"""

from provlytics.pipeline.files import (
    MAX_WORKERS,
    PARALLEL_MIN_BYTES,
    Paths,
    load,
    load_to_parquet,
)

__all__ = ["MAX_WORKERS", "PARALLEL_MIN_BYTES", "Paths", "load", "load_to_parquet"]
