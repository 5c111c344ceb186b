"""x-fapi-interaction-id: echoed when valid, generated otherwise, on every response."""

import uuid

import pytest

from tests.conftest import assert_cdr_error

pytestmark = [pytest.mark.urls("tests.api.urls"), pytest.mark.django_db]


def test_a_supplied_id_is_echoed(api):
    sent = str(uuid.uuid4())
    response = api("get", "/cds-au/v1/test/single", x_v="1", HTTP_X_FAPI_INTERACTION_ID=sent)
    assert response["x-fapi-interaction-id"] == sent


def test_an_id_is_generated_when_absent_and_differs_per_request(api):
    first = api("get", "/cds-au/v1/test/single", x_v="1")["x-fapi-interaction-id"]
    second = api("get", "/cds-au/v1/test/single", x_v="1")["x-fapi-interaction-id"]
    assert uuid.UUID(first).version == 4
    assert first != second


def test_errors_echo_the_id_too(api):
    sent = str(uuid.uuid4())
    response = api("get", "/cds-au/v1/test/single", HTTP_X_FAPI_INTERACTION_ID=sent)  # no x-v
    assert_cdr_error(response, 400, "Header/Missing")
    assert response["x-fapi-interaction-id"] == sent


def test_unknown_urls_get_an_id(api):
    assert api("get", "/nope")["x-fapi-interaction-id"]


@pytest.mark.parametrize("bad", ["not-a-uuid", "<script>", "1" * 37, "00000000-0000-0000-0000-00000000000g"])
def test_a_malformed_id_is_rejected_and_never_echoed(api, bad):
    response = api("get", "/cds-au/v1/test/single", x_v="1", HTTP_X_FAPI_INTERACTION_ID=bad)
    assert_cdr_error(response, 400, "Header/Invalid", detail="x-fapi-interaction-id")
    assert response["x-fapi-interaction-id"] != bad
    uuid.UUID(response["x-fapi-interaction-id"])
