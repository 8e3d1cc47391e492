"""CSV files through Arrow's streaming reader: the `csv` module's rows, line numbers, pages
and errors, exactly, whatever Arrow's blocks; from the first block Arrow cannot read as the
`csv` module does, the `csv` module reads the rest."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_properties import SETTINGS

from provlytics.errors import InputError
from provlytics.origin import Container, Page
from provlytics.sources import csv_arrow, portal_csv
from provlytics.sources.files import file_tasks, iter_task_pages
from provlytics.sources.reading import InputFile, as_input
from provlytics.synthetic import generate_records, write_portal_csv


def _outcome(rows: Iterator[tuple[int, dict[str, Any]]]) -> list | str:
    """The rows, or the error that ended them (with the rows before it)."""
    got: list = []
    try:
        got.extend(rows)
    except InputError as exc:
        got.append(str(exc))
    return got


def _arrow_alone(file: InputFile) -> list | None:
    """The rows Arrow reads (as `portal_csv._rows` hands them over); None if it stops."""
    try:
        return [
            (line, row)
            for batch, lines in csv_arrow.batches(file)
            for line, row in zip(lines.tolist(), _records(batch), strict=True)
        ]
    except csv_arrow.Unplain:
        return None


def _records(batch: Any) -> list[dict[str, Any]]:
    return [{k: v or None for k, v in row.items()} for row in batch.to_pylist()]


_PIECES = ["a", "é", " ", ",", '"', "\n", "\r\n", "\r", "{", "1"]
_CELL = st.lists(st.sampled_from(_PIECES), max_size=6).map("".join)


@SETTINGS
@given(
    headers=st.lists(
        st.sampled_from(["Change Id", "Name", "x", "Step Number"]),
        min_size=1,
        max_size=4,
        unique=True,
    ),
    cells=st.lists(st.lists(_CELL, min_size=4, max_size=4), max_size=8),
    ending=st.sampled_from(["\r\n", "\n", "\r"]),
    last_newline=st.booleans(),
    bom=st.booleans(),
    block=st.sampled_from([64, 2**20]),
)
def test_arrow_reads_the_rows_and_lines_the_csv_module_reads(
    tmp_path_factory, headers, cells, ending, last_newline, bom, block
):
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator=ending)
    writer.writerow(headers)
    writer.writerows([row[: len(headers)] for row in cells])
    data = text.getvalue() if last_newline else text.getvalue().removesuffix(ending)
    path = tmp_path_factory.mktemp("csv") / "file.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + data.encode())
    file = as_input(path)
    expected = _outcome(portal_csv._csv_rows(file))
    with mock.patch.object(csv_arrow, "BLOCK_BYTES", block):
        assert _outcome(portal_csv._rows(file)) == expected
        alone = _arrow_alone(file)
    assert alone is None or alone == expected
    plain = (
        ending != "\r"  # lines ended by `\r` alone: the header's is not found
        and (ending == "\r\n" or not any("\r" in cell for row in cells for cell in row))
        and len(expected) == len(cells)
        and all(not isinstance(row, str) and any(row[1].values()) for row in expected)
    )  # the rows written (a `\r` in a cell is quoted), none of empty cells only
    if plain and block > len(data):
        assert alone is not None, "a plain file: Arrow read it"


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ('a,b\r\n1,"x""y"\r\n', [(2, {"a": "1", "b": 'x"y'})]),  # quotes
        (
            'a,b\r\n"1\r\n2",3\r\n4,5\r\n',
            [(3, {"a": "1\r\n2", "b": "3"}), (4, {"a": "4", "b": "5"})],
        ),
        (
            'a,b\n"1\n\n2","3\r4"\n5,6',
            [(5, {"a": "1\n\n2", "b": "3\r4"}), (6, {"a": "5", "b": "6"})],
        ),
        ("\ufeffa,b\r\n1,2\r\n", [(2, {"a": "1", "b": "2"})]),  # a byte-order mark
        ('a,b,c\r\n,"",x\r\n', [(2, {"a": None, "b": None, "c": "x"})]),  # empty cells
    ],
    ids=["quotes", "CRLF inside a cell", "LF and CR inside cells", "BOM", "empty cells"],
)
def test_plain_files_are_read_by_arrow_with_the_csv_modules_rows(tmp_path, text, rows):
    path = tmp_path / "file.csv"
    path.write_bytes(text.encode())
    file = as_input(path)
    assert _arrow_alone(file) == rows
    assert list(portal_csv._csv_rows(file)) == rows


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("a,b\r\n1,2\r\n\r\n3,4\r\n", [(2, {"a": "1", "b": "2"}), (4, {"a": "3", "b": "4"})]),
        ("a,b\r\n1\r\n", ["file.csv:2: fewer cells than headers (1 of 2)"]),  # not loaded
        ("a,b\r\n,\r\n", [(2, {"a": None, "b": None})]),  # only empty cells
        ('"a",b\r\n1,2\r\n', [(2, {"a": "1", "b": "2"})]),  # a quoted header
        ("#TYPE Microsoft.Graph\r\na,b\r\n1,2\r\n", [(3, {"a": "1", "b": "2"})]),
        ("a,a\r\n1,2\r\n", [(2, {"a": "2"})]),  # a header twice
        ("a,b\r\n1,2,3\r\n", ["file.csv:2: more cells than headers"]),
        ("", ["file.csv: the CSV file has no header row"]),
    ],
    ids=[
        "blank line",
        "short row",
        "empty row",
        "quoted header",
        "#TYPE",
        "twice",
        "long",
        "empty",
    ],
)
def test_files_arrow_does_not_read_as_the_csv_module_go_to_the_csv_module(tmp_path, text, rows):
    path = tmp_path / "file.csv"
    path.write_bytes(text.encode())
    file = as_input(path)
    assert _arrow_alone(file) is None
    assert _outcome(portal_csv._rows(file)) == [
        row.replace("file.csv", str(path)) if isinstance(row, str) else row for row in rows
    ]


def test_a_file_is_read_in_blocks_and_the_csv_module_takes_over_where_arrow_stops(tmp_path):
    path = tmp_path / "AADProvisioningLogs.csv"
    rows = "".join(f"{i},x{i}\r\n" for i in range(3000))
    path.write_bytes(b"Id,Name\r\n" + rows.encode() + b"\r\n" + b"3000,last\r\n")
    (task,) = file_tasks(path)
    with mock.patch.object(csv_arrow, "BLOCK_BYTES", 4096):
        pages = list(iter_task_pages(task, page_size=1000))
    assert [(p.first_record, len(p.lines or ()), p.table is not None) for p in pages] == [
        (0, 1000, True),
        (1000, 1000, True),
        (2000, 1000, False),  # the block holding the blank line: the csv module's
        (3000, 1, False),
    ]
    assert pages[1].lines is not None and pages[1].lines[0] == 1002
    assert pages[3].records == [{"Id": "3000", "Name": "last"}]
    assert pages[3].lines == [3003]  # the blank line counted


def _csv_module_pages(files: list[Path], **kwargs: Any) -> list[Page]:
    def refuse(_file: InputFile) -> Iterator:
        raise csv_arrow.Unplain("the reference")
        yield

    with mock.patch.object(csv_arrow, "batches", refuse):
        return [p for task in file_tasks(files) for p in iter_task_pages(task, **kwargs)]


def _seen(pages: list[Page]) -> list[tuple]:
    """What a page holds, as the general path reads it."""
    return [
        (p.container, p.first_record, p.lines, p.table.records() if p.table else p.records)
        for p in pages
    ]


@pytest.mark.parametrize(
    ("blank_line_at", "from_arrow"), [(None, 9), (7, 0), (26, 4)], ids=["plain", "7", "26"]
)
def test_portal_pages_from_arrow_are_those_of_the_csv_module(tmp_path, blank_line_at, from_arrow):
    paths = write_portal_csv(tmp_path, generate_records(40, seed=3, days=1))
    main = paths[0].read_bytes().split(b"\r\n")
    main.insert(3, main[2])  # a change ID twice: its companions' rows go with the first
    if blank_line_at is not None:
        main.insert(blank_line_at, b"")
    paths[0].write_bytes(b"\r\n".join(main))
    expected = _seen(_csv_module_pages(paths, page_size=5))
    with mock.patch.object(csv_arrow, "BLOCK_BYTES", 2048):
        pages = [p for task in file_tasks(paths) for p in iter_task_pages(task, page_size=5)]
    assert _seen(pages) == expected
    assert len(pages) == 9
    assert [p.table is not None for p in pages] == [True] * from_arrow + [False] * (9 - from_arrow)
    duplicate = expected[0][3][2]
    assert duplicate["Change Id"] == expected[0][3][1]["Change Id"]
    assert expected[0][3][1]["@steps"] and duplicate["@steps"] == []


def test_orphans_and_missing_change_ids_are_the_csv_modules_errors(tmp_path):
    paths = write_portal_csv(tmp_path, generate_records(12, seed=4, days=1))
    main = paths[0].read_bytes().split(b"\r\n")
    orphan = main.pop(5)
    paths[0].write_bytes(b"\r\n".join(main))
    with pytest.raises(InputError) as arrow:
        list(iter_task_pages(file_tasks(paths)[0]))
    with pytest.raises(InputError) as reference:
        _csv_module_pages(paths)
    change = orphan.split(b",")[5].decode()
    assert str(arrow.value) == str(reference.value)
    companions = "|".join(re.escape(str(p)) for p in paths[1:3])
    assert re.match(rf"({companions}):\d+: \d+ rows for change ID", str(arrow.value))
    assert f"for change ID {change!r}, which {paths[0]} lacks" in str(arrow.value)
    main[3] = main[3].replace(main[3].split(b",")[5], b"")
    paths[0].write_bytes(b"\r\n".join(main))
    with pytest.raises(InputError, match=r"ProvisioningLogs.csv:4: 'Change Id': is missing"):
        list(iter_task_pages(file_tasks(paths)[0]))


def test_a_portal_page_without_its_companions_has_no_children(tmp_path):
    paths = write_portal_csv(tmp_path, generate_records(3, seed=4, days=1))
    for companion in paths[1:]:  # else read with it, found beside it
        companion.unlink()
    (page,) = iter_task_pages(file_tasks(paths[0])[0])
    assert page.container is Container.PORTAL_CSV and page.table is not None
    assert [(r["@steps"], r["@properties"]) for r in page.table.records()] == [([], [])] * 3


def test_gzip_and_zip_members_are_read_by_arrow(tmp_path):
    text = b'Id,TimeGenerated\r\n"a\r\nb",2026-11-21T10:00:00Z\r\nc,\r\n'
    (tmp_path / "plain.csv").write_bytes(text)
    (tmp_path / "packed.csv.gz").write_bytes(gzip.compress(text))
    with zipfile.ZipFile(tmp_path / "archive.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/AADProvisioningLogs.csv", text)
    pages = [p for task in file_tasks(tmp_path) for p in iter_task_pages(task)]
    assert [p.origin.source.removeprefix(f"{tmp_path}/") for p in pages] == [
        "archive.zip!export/AADProvisioningLogs.csv",
        "packed.csv.gz",
        "plain.csv",
    ]
    expected = [
        {"Id": "a\r\nb", "TimeGenerated": "2026-11-21T10:00:00Z"},
        {"Id": "c", "TimeGenerated": None},
    ]
    assert all(p.table is not None and p.table.records() == expected for p in pages)
    assert all(p.lines == [3, 4] for p in pages)
