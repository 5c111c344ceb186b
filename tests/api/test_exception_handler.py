"""Every error path answers the CDS error body, never HTML or a stack trace."""

import logging

import pytest

from bank.api import errors
from tests.conftest import assert_cdr_error

pytestmark = [pytest.mark.urls("tests.api.urls"), pytest.mark.django_db]


def test_unknown_url_is_resource_not_found_json(api):
    error = assert_cdr_error(api("get", "/cds-au/v1/banking/nothing-here", x_v="1"), 404, "Resource/NotFound")
    assert error["title"] == "Resource Not Found"


def test_unknown_url_outside_the_api_is_also_json(api):
    assert_cdr_error(api("get", "/wp-login.php"), 404, "Resource/NotFound")


def test_unhandled_exception_is_generic_500_without_internals(api, caplog):
    caplog.set_level(logging.ERROR)
    response = api("get", "/cds-au/v1/test/boom", x_v="1")
    error = assert_cdr_error(response, 500, "GeneralError/Unexpected")
    assert error["title"] == "Unexpected Error Encountered"
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content
    assert b"RuntimeError" not in response.content
    # The details go to the log, keyed by the interaction id of the response.
    record = next(r for r in caplog.records if r.name == "bank.api")
    # The traceback, redacted (security/logging.py): the type and place stay, the secret goes.
    assert "Traceback" in record.exc_text and "RuntimeError" in record.exc_text
    assert "hunter2" not in record.exc_text and "password=[REDACTED]" in record.exc_text
    assert record.exc_info is None  # nothing can format the unredacted exception again
    assert record.interaction_id == response["x-fapi-interaction-id"]


def test_method_not_allowed_is_405_cds_body(api):
    error = assert_cdr_error(api("delete", "/cds-au/v1/test/single", x_v="1"), 405, "GeneralError/Expected")
    assert error["title"] == "Expected Error Encountered"


def test_unknown_query_parameter_is_rejected_by_name(api):
    assert_cdr_error(api("get", "/cds-au/v1/test/single?debug=1", x_v="1"), 400, "Field/Invalid", detail="debug")


def test_unknown_query_parameter_name_is_sanitised_in_detail(api):
    error = assert_cdr_error(
        api("get", "/cds-au/v1/test/single?%3Cscript%3E%0A" + "a" * 100 + "=1", x_v="1"),
        400, "Field/Invalid",
    )
    assert "\n" not in error["detail"]
    assert len(error["detail"]) <= 40


def test_invalid_datetime_parameter(api):
    assert_cdr_error(
        api("get", "/cds-au/v1/test/numbers?since=2024-01-01", x_v="3"), 400, "Field/InvalidDateTime", detail="since"
    )


def test_every_error_class_has_a_cds_urn_title_and_status():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.CdrError) and c is not errors.CdrError]
    assert len(classes) >= 25
    titles_by_code: dict[str, str] = {}
    for cls in classes:
        assert cls.cds_code.startswith("urn:au-cds:error:cds-")
        assert 400 <= cls.status_code < 600
        # The standard: title is constant for a given code.
        assert titles_by_code.setdefault(cls.cds_code, cls.title) == cls.title


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (errors.InvalidResourceError, 404),
        (errors.InvalidResourceInBodyError, 422),
        (errors.InvalidBankingAccountError, 404),
        (errors.InvalidBankingAccountInBodyError, 422),
        (errors.InvalidPageError, 422),
        (errors.InvalidArrangementError, 422),
        (errors.UnsupportedVersionError, 406),
        (errors.RevokedConsentError, 403),
        (errors.ServiceUnavailableError, 503),
    ],
)
def test_status_table_of_standards_errors(cls, status):
    assert cls.status_code == status


def test_options_without_cors_preflight_is_405_not_a_self_description(api):
    response = api("options", "/cds-au/v1/test/single", x_v="1")
    assert_cdr_error(response, 405, "GeneralError/Expected")
    assert b"renders" not in response.content


def test_head_is_served_like_get_without_a_body(api):
    response = api("head", "/cds-au/v1/test/single", x_v="1")
    assert response.status_code == 200
    assert response.content == b""


def test_too_many_query_fields_is_a_4xx_not_a_500(api, caplog):
    import logging

    caplog.set_level(logging.ERROR)
    query = "&".join(f"a{i}=1" for i in range(1100))
    response = api("get", f"/cds-au/v1/test/single?{query}", x_v="1")
    assert 400 <= response.status_code < 500
    assert response.json()["errors"][0]["code"] == "urn:au-cds:error:cds-all:GeneralError/Expected"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_bad_host_is_a_cds_error_not_html(api):
    response = api("get", "/cds-au/v1/test/single", x_v="1", HTTP_HOST="evil.example")
    assert_cdr_error(response, 400, "GeneralError/Expected")


def test_oversized_body_is_413(api, settings):
    from django.test import Client

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = Client().post("/cds-au/v1/test/echo", data='{"data": "' + "x" * 500 + '"}',
                             content_type="application/json", HTTP_X_V="1")
    assert_cdr_error(response, 413, "GeneralError/Expected")
