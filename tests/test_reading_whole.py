"""Reading a whole file at once (`reading._Bounded.readall`): few reads, the same bytes, the
same errors past the limit or on a truncated file."""

from __future__ import annotations

import gzip
import io
import os
import zipfile

import pytest

from provlytics.errors import InputError
from provlytics.sources.reading import _CHUNK, InputFile, _Bounded, read_bytes


class _Counting(io.BytesIO):
    """A stream that records the size of each read asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def _whole(data: bytes, size: int | None, limit: int = 2**30) -> tuple[bytes, list[int]]:
    stream = _Counting(data)
    with io.BufferedReader(_Bounded(stream, limit, "f.json", [], "file", size), _CHUNK) as r:
        return r.read(), stream.asked


def test_a_file_of_known_size_is_read_in_one_call_and_an_end_check():
    data = os.urandom(3 * 2**20 + 5)
    assert _whole(data, len(data)) == (data, [len(data), 2 * _CHUNK])


def test_a_stream_longer_than_its_declared_size_is_read_to_its_end():
    data = os.urandom(3 * 2**20)
    assert _whole(data, 1000) == (data, [1000, 2 * _CHUNK, 4 * _CHUNK, 8 * _CHUNK])


def test_a_stream_of_unknown_size_is_read_in_growing_calls():
    data = os.urandom(5 * 2**20)
    assert _whole(data, None) == (data, [_CHUNK, 2 * _CHUNK, 4 * _CHUNK, 8 * _CHUNK])


def test_an_empty_file():
    assert _whole(b"", 0) == (b"", [1])


def test_no_call_asks_past_one_byte_over_the_limit():
    stream = _Counting(b"x" * 5000)
    reader = io.BufferedReader(_Bounded(stream, 4096, "f.json", [], "file", 5000), _CHUNK)
    with pytest.raises(InputError) as caught:
        reader.read()
    assert stream.asked == [4097]
    assert str(caught.value) == (
        "f.json: expands past 4096 bytes (the limit set by PROVLYTICS_MAX_EXPANDED_BYTES); "
        "raise it if this file is genuine"
    )


def test_a_plain_file_over_the_limit_names_it(tmp_path, monkeypatch):
    path = tmp_path / "page.json"
    path.write_bytes(b'{"value": []}' + b" " * 5000)
    monkeypatch.setenv("PROVLYTICS_MAX_EXPANDED_BYTES", "4096")
    with pytest.raises(InputError) as caught:
        read_bytes(InputFile.at(path))
    assert str(caught.value) == (
        f"{path}: expands past 4096 bytes (the limit set by PROVLYTICS_MAX_EXPANDED_BYTES); "
        "raise it if this file is genuine"
    )


def test_a_truncated_gzip_file_names_it(tmp_path):
    path = tmp_path / "page.json.gz"
    path.write_bytes(gzip.compress(os.urandom(300_000))[:-2000])
    with pytest.raises(InputError) as caught:
        read_bytes(path)
    assert str(caught.value) == (
        f"{path}: not a readable gzip file, truncated or corrupt (Compressed file ended "
        "before the end-of-stream marker was reached)"
    )


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_whole_files_plain_gzip_and_zip_members_read_back(tmp_path, method):
    data = b'{"value": [' + b'"x",' * 700_000 + b'"y"]}'
    (tmp_path / "a.json").write_bytes(data)
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(data))
    with zipfile.ZipFile(tmp_path / "a.zip", "w", compression=method) as archive:
        archive.writestr("in/a.json", data)
    assert read_bytes(tmp_path / "a.json") == data
    assert read_bytes(tmp_path / "a.json.gz") == data
    assert read_bytes(InputFile.at(tmp_path / "a.zip", "in/a.json")) == data
