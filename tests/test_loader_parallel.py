"""Loading with worker processes gives the same tables, in the same order, as one process."""

import pickle
from pathlib import Path

import pytest

import provlytics as pv
from provlytics.errors import InputError
from provlytics.origin import Origin

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def test_two_workers_load_exactly_what_one_process_loads():
    one = pv.load(SAMPLES, workers=1, progress=False)
    two = pv.load(SAMPLES, workers=2, progress=False)
    for name in pv.SCHEMAS:
        assert two.table(name).equals(one.table(name)), name
    assert two.records_read == one.records_read


def test_a_bad_file_is_named_in_the_error_of_a_parallel_load(tmp_path):
    (tmp_path / "a.json").write_text('{"value": []}', encoding="utf-8")
    (tmp_path / "b.json").write_text('{"value": [', encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.json: not valid JSON"):
        pv.load(tmp_path, workers=2, progress=False)


def test_input_errors_survive_pickling_with_origin_and_field():
    error = InputError(Origin("f.json", record=3), "is missing", field="id")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.field) == (InputError, str(error), "id")
