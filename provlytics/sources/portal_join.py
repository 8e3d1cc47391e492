"""A portal companion file (`*_ProvisioningSteps.csv`, `*_ModifiedProperties.csv`) read by
Arrow and joined to the rows of the main file on the change ID, with Arrow's kernels.

The rows of a companion go with the *first* main row that has their change ID, in the
companion file's order (as `portal_csv`'s `csv` module path pops them from a dict); rows
whose change ID no main row has are orphans, named once the main file is read.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.errors import InputError
from provlytics.origin import PORTAL_JOIN_COLUMN, CsvChildren, Origin, fold_header
from provlytics.sources import csv_arrow
from provlytics.sources.reading import InputFile


def join_columns(names: list[str]) -> list[int]:
    """The positions of the headers that hold the change ID, whatever their spelling."""
    return [i for i, name in enumerate(names) if fold_header(name) == PORTAL_JOIN_COLUMN]


class Joined:
    """A companion's rows (`batch`) grouped by change ID (`groups`, in the order each first
    appears), ready to be joined to pages of main rows."""

    def __init__(
        self, file: InputFile | None, batch: pa.RecordBatch, changes: pa.Array, lines: np.ndarray
    ) -> None:
        encoded = changes.dictionary_encode()
        indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        self.file, self.batch, self.groups = file, batch, encoded.dictionary
        self.lines = lines  # the line each row ends on
        self.order = np.argsort(indices, kind="stable")  # the rows, group after group
        self.counts = np.bincount(indices, minlength=len(self.groups))
        self.starts = np.cumsum(self.counts) - self.counts
        self.taken = np.zeros(len(self.groups), bool)

    @classmethod
    def empty(cls) -> Joined:
        """No companion file: no rows."""
        empty = pa.RecordBatch.from_arrays([], names=[])
        return cls(None, empty, pa.array([], pa.string()), np.zeros(0, np.int64))

    @classmethod
    def read(cls, file: InputFile) -> Joined | None:
        """The companion read whole; None if the `csv` module must read it (Arrow cannot as
        it does; not one change ID header; a row without a change ID, which it names)."""
        try:
            read = list(csv_arrow.batches(file))
        except csv_arrow.Unplain:
            return None
        if not read:
            return cls.empty()
        batch = pa.Table.from_batches([b for b, _lines in read]).combine_chunks().to_batches()[0]
        at = join_columns(batch.schema.names)
        if len(at) != 1:
            return None
        changes = batch.column(at[0])
        if pc.any(pc.equal(pc.binary_length(changes), 0)).as_py():
            return None
        lines = np.concatenate([lines for _b, lines in read]).astype(np.int64)
        return cls(file, batch, changes, lines)

    def take(self, changes: pa.Array) -> CsvChildren:
        """The rows of the groups of a page's change IDs (each group once, with the first
        row having it, in this file and in the pages before)."""
        n = len(changes)
        if not len(self.groups):
            return CsvChildren(self.batch, np.zeros(0, np.int64))
        found = pc.fill_null(pc.index_in(changes, value_set=self.groups), -1)
        group = found.to_numpy(zero_copy_only=False).astype(np.int64)
        hits = np.flatnonzero(group >= 0)
        groups, first = np.unique(group[hits], return_index=True)
        fresh = ~self.taken[groups]
        rows, groups = hits[first][fresh], groups[fresh]
        self.taken[groups] = True
        owner = np.zeros(n, np.int64)  # the group of each row taking one (counts 0 elsewhere)
        owner[rows] = groups
        counts = np.zeros(n, np.int64)
        counts[rows] = self.counts[groups]
        parents = np.repeat(np.arange(n, dtype=np.int64), counts)
        within = np.arange(len(parents)) - np.repeat(np.cumsum(counts) - counts, counts)
        picks = self.order[np.repeat(self.starts[owner], counts) + within]
        rows = self.batch.take(pa.array(picks, pa.int64()))
        source = self.file.name if self.file is not None else ""
        return CsvChildren(rows, parents, source, self.lines[picks])

    def taken_ids(self) -> set[str]:
        """The change IDs whose rows were taken."""
        return set(self.groups.filter(pa.array(self.taken)).to_pylist())

    def check_orphans(self, main: InputFile) -> None:
        """Raises `InputError` naming the first change ID (in this file's order) whose rows
        no row of `main` took, the line of its first row, and how many rows it has."""
        left = np.flatnonzero(~self.taken)
        if len(left):
            group = int(left[0])
            change = self.groups[group].as_py()
            count = int(self.counts[group])
            line = int(self.lines[self.order[self.starts[group]]])
            raise InputError(
                Origin(str(self.file), line=line),
                f"{count} rows for change ID {change!r}, which {main.name} lacks",
            )
