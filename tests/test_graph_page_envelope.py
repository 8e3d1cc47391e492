"""Telling a Graph page apart from its leading and trailing bytes (`sources.envelope`): the
same pages, jobs context and errors as the full decode of the document it replaces."""

from __future__ import annotations

import json
from pathlib import Path

import payloads as p
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provlytics.errors import InputError
from provlytics.normalize.batch import PageTables
from provlytics.normalize.pages import normalize
from provlytics.origin import Container
from provlytics.sources import files
from provlytics.sources.envelope import GraphPage, graph_page_context
from provlytics.sources.files import FileTask, iter_task_pages

JOBS_CONTEXT = (
    "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('sp-1')/synchronization/jobs"
)
RECORD = json.dumps(p.v1_success_aws())
JOB = json.dumps(p.job_quarantined_aws())


def outcome(path: Path) -> list[tuple] | tuple[str, str, str | None]:
    """What a load makes of a file: each page's container, service principal and record
    count, or the error (from the file source or the normalizer) as a user sees it."""
    try:
        pages = list(iter_task_pages(FileTask(path)))
        return [
            (
                page.container,
                page.jobs.service_principal_id if page.jobs else None,
                page.first_record,
                _records(normalize(page, on_error="collect")),
            )
            for page in pages
        ]
    except InputError as exc:
        return (str(exc.origin), exc.reason, exc.field)


def _records(tables: PageTables | pa.RecordBatch) -> tuple[str, int, int]:
    """Records and rejects of a page of logs, or the rows of a page of jobs."""
    if isinstance(tables, PageTables):
        return ("logs", tables.records, len(tables.rejects))
    return ("jobs", tables.num_rows, 0)


def full_decode_outcome(path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """The outcome when every document is decoded whole (the path before this module)."""
    with monkeypatch.context() as patched:
        patched.setattr(files, "graph_page_context", lambda data: None)
        return outcome(path)


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: bytes) -> object:
    path = tmp_path / "page.json"
    path.write_bytes(text)
    seen = outcome(path)
    assert seen == full_decode_outcome(path, monkeypatch)
    return seen


def test_the_usual_page_is_told_apart_without_a_full_decode():
    text = b'{"@odata.context":"' + JOBS_CONTEXT.encode() + b'","value":[' + RECORD.encode() + b"]}"
    assert graph_page_context(text) == GraphPage(JOBS_CONTEXT)


@pytest.mark.parametrize(
    ("text", "context"),
    [
        # "value" not first, a nextLink before it
        ('{"@odata.nextLink": "https://x/?$skiptoken=1", "value": []}', None),
        # the nextLink (and the context) after the list
        (f'{{"value":[{RECORD}],"@odata.nextLink":"n","@odata.context":"c"}}', "c"),
        # whitespace everywhere, pretty-printed
        (
            f'\r\n\t {{ "@odata.context" : "c" ,\n  "value" :\n [ {RECORD} ] ,\n "n" : -1.5e3 }}\n',
            "c",
        ),
        # a key written with escapes is the key it spells; a repeated context keeps the last
        ('{"\\u0040odata.context":"a","value":[],"@odata.context":"b"}', "b"),
        # scalars of every kind around the list; a string holding quotes and brackets
        ('{"a":null,"b":true,"c":false,"d":0,"value":[],"e":"x\\\\\\"]}"}', None),
        ('{"@odata.context":7,"value":[1]}', 7),
    ],
)
def test_graph_pages_with_their_context(text, context):
    assert graph_page_context(text.encode()) == GraphPage(context)


@pytest.mark.parametrize(
    "text",
    [
        '{"value": {"a": 1}}',  # no list
        '{"value": 5, "value": []}',  # a repeated value: the full decode decides
        '{"value": [], "value": 5}',
        '{"value": [], "value": {}}',
        '{"value": [], "records": {}}',  # an object member after the list
        '{"tables": [], "value": []}',  # a list member before it
        '{"error": {"code": "x"}, "value": []}',
        '{"value": [1]',  # truncated: no closing brace
        '{"value": [1], "n": "a}',  # a string left open
        '{"value" [1]}',
        '[{"value": []}]',
        '{"records": [{"value": []}]}',
        '{"value": [1]}\n{"value": [2]}\n',  # JSON lines of pages
    ],
)
def test_other_documents_are_left_to_the_full_decode(text):
    assert graph_page_context(text.encode()) is None


DOCUMENTS = [
    f'{{"@odata.context":"{JOBS_CONTEXT}","value":[{RECORD}]}}',
    f'{{"value":[{RECORD}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/next"}}',
    f'{{"@odata.nextLink":"n","value":[{RECORD},{RECORD}],"@odata.context":"{JOBS_CONTEXT}"}}',
    f'\ufeff  {{ "value" : [ {RECORD} ] }}  \n',
    f'{{\n  "@odata.context": "x",\n  "value": [\n{RECORD}\n  ]\n}}\n',
    f'{{"value":[{RECORD}],"value":5}}',
    f'{{"value":[{RECORD}],"key":"k","value":"v"}}',
    f'{{"value":[{RECORD}],"records":[{RECORD}],"value":1}}',
    f'{{"value":[{RECORD}],"error":{{"code":"Throttled","message":"slow down"}}}}',
    '{"value": "x"}',
    '{"value": [1, 2}',
    f'{{"value":[{RECORD}]',  # truncated
    f'{{"value":[{RECORD[:100]}]}}',  # cut inside the list, closed: not JSON
    f'{{"value":[{RECORD}]}}\n{{"value":[{RECORD}]}}\n',  # a page per line: JSON lines
    f'{{"value":[{RECORD}],\n"n":1}}\n{{"x":1}}\n',  # not JSON, first line not an object
    '{"value": [], "@odata.context": "' + JOBS_CONTEXT + '"}',
    f'{{"value":[{JOB}],"@odata.context":"{JOBS_CONTEXT}"}}',  # jobs, their owner after the list
    f'{{"@odata.context":"{JOBS_CONTEXT}","value":[{JOB}]}}\n',
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_pages_and_errors_are_those_of_the_full_decode(tmp_path, monkeypatch, text):
    check(tmp_path, monkeypatch, text.encode())


def test_a_graph_page_with_the_next_link_after_its_list(tmp_path, monkeypatch):
    text = f'{{"value":[{RECORD},{RECORD}],"@odata.nextLink":"https://graph/next"}}'
    assert check(tmp_path, monkeypatch, text.encode()) == [
        (Container.GRAPH_PAGE, None, 0, ("logs", 2, 0))
    ]


def test_a_saved_jobs_list_keeps_its_owner_from_a_context_after_the_list(tmp_path, monkeypatch):
    text = f'{{"value":[{JOB},{JOB}],\n "@odata.context": "{JOBS_CONTEXT}"}}'
    assert check(tmp_path, monkeypatch, text.encode()) == [
        (Container.GRAPH_PAGE, "sp-1", 0, ("jobs", 2, 0))
    ]


def test_a_page_broken_inside_its_list_gives_the_full_decodes_error(tmp_path, monkeypatch):
    text = '{"@odata.context":"c","value":[{"id": "a",, "b": 1}]}'
    assert graph_page_context(text.encode()) == GraphPage("c")  # the normalizer finds it
    assert check(tmp_path, monkeypatch, text.encode()) == (
        str(tmp_path / "page.json"),
        "not valid JSON, truncated or malformed (unexpected character, expected a string key: "
        "line 1 column 43 (char 42))",
        None,
    )


_SCALARS = st.sampled_from(['"s"', '"a\\"]}"', "1", "-2.5e3", "true", "null", "[]", "{}"])
_KEYS = st.sampled_from(["value", "@odata.context", "\\u0076alue", "records", "key", "n"])
_SPACE = st.sampled_from(["", " ", "\n", "\r\n  ", "\t"])


@st.composite
def _documents(draw: st.DrawFn) -> bytes:
    """Objects of members around a `value` list, with whitespace, repeats and escapes,
    sometimes cut short or with a character of the record replaced."""

    def members() -> list[str]:
        pairs = draw(st.lists(st.tuples(_KEYS, _SCALARS), max_size=3))
        return [f'"{k}"{draw(_SPACE)}:{draw(_SPACE)}{v}' for k, v in pairs]

    record = RECORD
    if draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=len(record) - 1))
        record = (
            record[:at] + draw(st.sampled_from(['"', "}", "]", ",", "\n", "\\"])) + record[at + 1 :]
        )
    body = [*members(), f'"value":{draw(_SPACE)}[{record}]', *members()]
    text = draw(_SPACE) + "{" + draw(_SPACE) + ("," + draw(_SPACE)).join(body) + "}"
    text += draw(_SPACE)
    cut = draw(st.integers(min_value=0, max_value=len(text)))
    return text[: len(text) - cut if draw(st.booleans()) else len(text)].encode()


@settings(max_examples=150, deadline=None)
@given(text=_documents())
def test_any_document_gives_what_the_full_decode_gives(tmp_path_factory, text):
    with pytest.MonkeyPatch.context() as monkeypatch:
        check(tmp_path_factory.mktemp("doc"), monkeypatch, text)
