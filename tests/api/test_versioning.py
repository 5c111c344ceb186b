"""x-v / x-min-v negotiation (CDS standards/_headers.md)."""

import pytest

from bank.api import errors
from bank.api.versioning import negotiate_version
from tests.conftest import assert_cdr_error

pytestmark = [pytest.mark.urls("tests.api.urls"), pytest.mark.django_db]
URL = "/cds-au/v1/test/numbers?count=1"


@pytest.mark.parametrize(
    ("x_v", "x_min_v", "served"),
    [
        ("3", None, 3),
        ("2", None, 2),
        ("9", "1", 3),  # highest supported in [1, 9]
        ("9", "3", 3),
        ("3", "3", 3),  # x-min-v >= x-v is ignored: exactly 3
        ("2", "7", 2),  # x-min-v > x-v is ignored: exactly 2
        (" 3 ", None, 3),
    ],
)
def test_version_negotiation_serves_highest_supported_between_min_and_max(api, x_v, x_min_v, served):
    response = api("get", URL, x_v=x_v, x_min_v=x_min_v)
    assert response.status_code == 200
    assert response["x-v"] == str(served)
    row = response.json()["data"]["numbers"][0]
    assert row == ({"number": 1} if served == 3 else {"n": 1})


def test_missing_x_v_is_header_missing(api):
    error = assert_cdr_error(api("get", URL), 400, "Header/Missing", detail="x-v")
    assert error["title"] == "Missing Required Header"


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", "٣", "1" * 31, ""])
def test_non_positive_integer_x_v_is_invalid_version(api, bad):
    response = api("get", URL, x_v=bad)
    if bad == "":
        assert_cdr_error(response, 400, "Header/Missing", detail="x-v")
    else:
        assert_cdr_error(response, 400, "Header/InvalidVersion", detail="x-v")


@pytest.mark.parametrize("bad", ["abc", "0", "-2"])
def test_non_positive_integer_x_min_v_is_invalid_version(api, bad):
    assert_cdr_error(api("get", URL, x_v="3", x_min_v=bad), 400, "Header/InvalidVersion", detail="x-min-v")


@pytest.mark.parametrize(("x_v", "x_min_v"), [("1", None), ("4", None), ("9", "4"), ("1", "1"), ("99999999999", None)])
def test_unsupported_versions_are_406(api, x_v, x_min_v):
    error = assert_cdr_error(api("get", URL, x_v=x_v, x_min_v=x_min_v), 406, "Header/UnsupportedVersion")
    assert error["title"] == "Unsupported Version"
    assert error["detail"] == "Supported versions: 2 to 3"


def test_error_responses_carry_no_x_v_header_but_the_interaction_id(api):
    response = api("get", URL, x_v="1")
    assert not response.has_header("x-v")
    assert response.has_header("x-fapi-interaction-id")


def test_negotiate_version_unit():
    assert negotiate_version("5", None, (5,)) == 5
    with pytest.raises(errors.UnsupportedVersionError, match="Supported version: 5"):
        negotiate_version("4", None, (5,))
