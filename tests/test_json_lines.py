"""JSON lines read as bytes, block by block (`sources.lines`): the lines and numbers text
mode gave, wherever the blocks are cut; over-long lines, byte-order marks, UTF-16, bad UTF-8."""

from __future__ import annotations

import codecs
import gzip
import io
import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from payloads import v1_success_aws

import provlytics as pv
from provlytics.errors import InputError
from provlytics.origin import UnparsedRecord
from provlytics.sources import lines as L
from provlytics.sources.files import file_tasks, iter_task_pages

LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])
CONTENT = st.text(alphabet='{}"ab é\u00a0\u2028\x1c\t\x0b', max_size=12)


def text_mode(text: str) -> list[tuple[int, str]]:
    """What the reader before did: `readline` in text mode (newline=""), blank lines
    (Unicode whitespace) counted and left out."""
    handle = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8-sig", newline="")
    out, number = [], 0
    while line := handle.readline():
        number += 1
        if line.strip():
            out.append((number, line.rstrip("\r\n")))
    return out


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = sorted({p % (len(data) + 1) for p in points} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(bounds)] or [b""]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(CONTENT, LINE_ENDS), max_size=8),
    st.booleans(),
    st.lists(st.integers(0, 200), max_size=6),
)
def test_lines_and_numbers_are_text_modes_wherever_blocks_are_cut(lines, last_end, points):
    text = "".join(content + end for content, end in lines)
    if lines and not last_end:
        text = text[: -len(lines[-1][1])]  # the last line without its end
    got = list(L.numbered_lines(cut(text.encode(), points), max_line=1000))
    assert [(n, line.decode()) for n, line in got] == text_mode(text)


def test_an_over_long_line_is_reported_once_and_read_past(tmp_path):
    long = '{"a": "' + "é" * 3000 + '"}'
    data = f'{{"n": 1}}\r\n{long}\r\n\n{{"n": 2}}'.encode()
    for points in ([], [5, 700, 1501, 4000, 6019, 6020], list(range(0, len(data), 97))):
        got = list(L.numbered_lines(cut(data, points), max_line=1000))
        assert [n for n, _ in got] == [1, 2, 4]
        assert got[0][1] == b'{"n": 1}' and got[2][1] == b'{"n": 2}'
        reject = got[1][1]
        assert isinstance(reject, UnparsedRecord)
        assert reject.text == '{"a": "' + "é" * 193 + "..."
        assert reject.reason.startswith("a line longer than 1000 bytes")


def test_a_line_that_is_not_utf8_is_a_reject_naming_line_and_byte(tmp_path):
    path = tmp_path / "PT1H.json"
    good = json.dumps(v1_success_aws())
    path.write_bytes(f"{good}\n".encode() + b'{"a": "\xff"}\r\n' + f"{good}\n".encode())
    reason = "not UTF-8 text ('utf-8' codec can't decode byte 0xff in position 7: "
    reason += "invalid start byte)"
    with pytest.raises(InputError) as info:
        pv.load(path)
    assert str(info.value) == f"{path}:2: record 2: {reason}"
    frames = pv.load(path, on_error="collect")
    assert frames.counts()["events"] == 1  # the two good lines: the same event
    assert frames.rejects["origin"].tolist() == [f"{path}:2: record 2"]
    assert frames.rejects["record"].tolist() == ['{"a": "\ufffd"}']


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "gzip"])
def test_marks_utf16_and_gzip_read_as_plain_utf8(tmp_path, monkeypatch, encoding):
    monkeypatch.setattr(L, "BLOCK", 64)  # many blocks, a UTF-16 pair cut between them
    records = [{**v1_success_aws(), "id": f"id-{i}"} for i in range(3)]
    text = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\r\n"
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(text.encode())
    other = tmp_path / ("other.jsonl.gz" if encoding == "gzip" else "other.jsonl")
    data = gzip.compress(text.encode()) if encoding == "gzip" else text.encode(encoding)
    other.write_bytes(data)
    assert encoding == "gzip" or data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16))
    pages = [list(iter_task_pages(file_tasks(p)[0])) for p in (plain, other)]
    assert [p.data for p in pages[0]] == [p.data for p in pages[1]]
    assert pages[1][0].lines == [1, 2, 3]
    assert [r.decode() for r in pages[1][0].data] == [
        json.dumps(r, ensure_ascii=False) for r in records
    ]
    assert pv.load(other).events["event_id"].tolist() == ["id-0", "id-1", "id-2"]


def test_a_diagnostic_export_read_whole_is_cut_into_the_same_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(L, "BLOCK", 1000)
    record = {"category": "ProvisioningLogs", "properties": v1_success_aws()}
    text = "\n\n".join(json.dumps({**record, "time": f"t{i}"}) for i in range(5))
    (tmp_path / "PT1H.json").write_text(text, encoding="utf-8")
    (page,) = iter_task_pages(file_tasks(tmp_path / "PT1H.json")[0])
    assert page.lines == [1, 3, 5, 7, 9]
    assert [json.loads(line)["time"] for line in page.data] == [f"t{i}" for i in range(5)]
