"""The vendored OpenAPI files are the official 1.36.0 ones the team works from."""

import json
from pathlib import Path

import pytest

from tests.cdr_schema import SPEC_DIR, SPEC_FILES

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "cdr-spec"


@pytest.mark.parametrize("name", SPEC_FILES)
def test_vendored_spec_is_version_1_36_0(name):
    assert json.loads((SPEC_DIR / name).read_text())["info"]["version"] == "1.36.0"


@pytest.mark.skipif(not SHARED.exists(), reason="no ../shared/cdr-spec beside this clone")
@pytest.mark.parametrize("name", SPEC_FILES)
def test_vendored_spec_equals_the_shared_reference_copy(name):
    assert (SPEC_DIR / name).read_bytes() == (SHARED / name).read_bytes()
