"""Accept and Content-Type (CDS standards/_headers.md, RFC 7231)."""

import json

import pytest

from tests.conftest import assert_cdr_error

pytestmark = [pytest.mark.urls("tests.api.urls"), pytest.mark.django_db]


@pytest.mark.parametrize(
    "accept",
    [None, "", "*/*", "application/json", "application/json;charset=UTF-8",
     "AppliCAtion/JSon;Charset=uTf-8", "text/html, application/json;q=0.5", "application/*"],
)
def test_acceptable_accept_headers_get_json(api, accept):
    extra = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = api("get", "/cds-au/v1/test/single", x_v="1", **extra)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "accept",
    ["text/html", "application/xml", "application/json;charset=iso-8859-1", "application/json;q=0", "a" * 2000],
)
def test_unacceptable_accept_is_406(api, accept):
    error = assert_cdr_error(api("get", "/cds-au/v1/test/single", x_v="1", HTTP_ACCEPT=accept), 406, "GeneralError/Expected")
    assert "Accept" in error["detail"]


def post(api, body, content_type):
    from django.test import Client

    return Client().post(
        "/cds-au/v1/test/echo", data=body, content_type=content_type,
        HTTP_X_V="1", HTTP_ACCEPT="application/json",
    )


@pytest.mark.parametrize("content_type", ["application/json", "application/json;charset=UTF-8", "AppliCAtion/JSon;Charset=uTf-8"])
def test_json_bodies_are_accepted_in_any_letter_case(api, content_type):
    response = post(api, json.dumps({"data": {"a": 1}}), content_type)
    assert response.status_code == 200
    assert response.json()["data"] == {"received": {"data": {"a": 1}}}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json;charset=latin-1", ""])
def test_other_body_types_are_415(api, content_type):
    assert_cdr_error(post(api, '{"data": {}}', content_type), 415, "GeneralError/Expected")


@pytest.mark.parametrize("body", ["{not json", '{"a": NaN}', "[1,"])
def test_malformed_json_is_400_invalid_field(api, body):
    assert_cdr_error(post(api, body, "application/json"), 400, "Field/Invalid")
