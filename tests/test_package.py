"""The package's public names: importable lazily, each from its module."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import provlytics as pv

INIT = Path(pv.__file__)


def test_every_public_name_resolves_and_type_checkers_see_the_same_names():
    for name in pv.__all__:
        assert getattr(pv, name) is not None, name
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    checked = next(node for node in tree.body if isinstance(node, ast.If))  # TYPE_CHECKING
    imported = {alias.name for node in checked.body for alias in node.names}
    assert imported == set(pv.__all__)


def test_reading_files_does_not_import_msal_or_matplotlib():
    # worker processes import only this module: it must stay light to start fast
    code = (
        "import sys, provlytics.pipeline.workers;"
        "print(sorted({'msal', 'requests', 'matplotlib', 'ipywidgets'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        pv.no_such_name  # noqa: B018
