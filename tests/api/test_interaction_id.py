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


@pytest.mark.parametrize("sent", ["7F1C1C4E-61E2-4F51-8F3C-3B4D8F6F4A11", "7f1c1c4e-61e2-4f51-8f3c-3b4d8f6f4a11"])
def test_the_id_is_played_back_verbatim(api, sent):
    response = api("get", "/cds-au/v1/test/single", x_v="1", HTTP_X_FAPI_INTERACTION_ID=sent)
    assert response["x-fapi-interaction-id"] == sent


def test_an_id_without_dashes_is_not_a_uuid_text_form(api):
    response = api("get", "/cds-au/v1/test/single", x_v="1", HTTP_X_FAPI_INTERACTION_ID="7f1c1c4e61e24f518f3c3b4d8f6f4a11")
    assert_cdr_error(response, 400, "Header/Invalid", detail="x-fapi-interaction-id")


def test_django_request_log_lines_keep_the_interaction_id(api, caplog):
    import logging

    caplog.set_level(logging.WARNING, logger="django.request")
    sent = "3b0e6a3e-9f0c-4a43-9d55-0c6c4f0b7f21"
    api("get", "/nope", HTTP_X_FAPI_INTERACTION_ID=sent)
    from security.logging import InteractionIdFilter

    record = next(r for r in caplog.records if r.name == "django.request")
    InteractionIdFilter().filter(record)
    assert record.interaction_id == sent


def test_a_trailing_newline_does_not_pass_as_a_uuid():
    from security.interaction import parse_interaction_id

    assert parse_interaction_id("7f1c1c4e-61e2-4f51-8f3c-3b4d8f6f4a11\n") is None
    assert parse_interaction_id("7f1c1c4e-61e2-4f51-8f3c-3b4d8f6f4a11") == "7f1c1c4e-61e2-4f51-8f3c-3b4d8f6f4a11"


def test_a_datetime_with_a_trailing_newline_is_invalid():
    from bank.api import errors
    from bank.api.filters import parse_datetime_string

    with pytest.raises(errors.InvalidDateTimeError):
        parse_datetime_string("2026-01-01T00:00:00Z\n", name="since")
