"""Get Customer v1 and Get Customer Detail v2."""

from __future__ import annotations

import pytest

from bank.api.formatting import datetime_string
from security import scopes as s
from tests.cdr_schema import assert_cdr_response
from tests.conftest import assert_cdr_error


def test_customer_person(bank, grant, cdr):
    g = grant("jane.citizen")
    body = assert_cdr_response(cdr("get", "common/customer", g, x_v="1"), "getCustomer")
    jane = bank.customer("jane.citizen")
    assert body["data"] == {
        "customerUType": "person",
        "person": {
            "lastUpdateTime": datetime_string(jane.last_update_time),
            "firstName": "Jane", "lastName": "Citizen", "middleNames": ["Maree"], "prefix": "Dr",
            "occupationCode": jane.occupation_code,
            "occupationCodeVersion": jane.occupation_code_version,
        },
    }
    assert body["links"] == {"self": "https://bank.example.test/cds-au/v1/common/customer"}
    assert "phoneNumbers" not in body["data"]["person"], "contact details are detail-scope only"


def test_customer_organisation(grant, cdr):
    g = grant("acme.agent")
    body = assert_cdr_response(cdr("get", "common/customer", g, x_v="1"), "getCustomer")
    org = body["data"]["organisation"]
    assert body["data"]["customerUType"] == "organisation" and "person" not in body["data"]
    assert org["businessName"] == "Acme Widgets" and org["abn"] == "51824753556"
    assert org["agentLastName"] == "Nguyen" and org["organisationType"] == "COMPANY"
    assert "physicalAddresses" not in org


@pytest.mark.parametrize("username", ["jane.citizen", "acme.agent"])
def test_customer_detail(bank, grant, cdr, username):
    g = grant(username)
    body = assert_cdr_response(cdr("get", "common/customer/detail", g, x_v="2"), "getCustomerDetail")
    data = body["data"]
    if username == "jane.citizen":
        person = data["person"]
        assert [e["address"] for e in person["emailAddresses"]] == ["jane.citizen@example.com"]
        assert person["phoneNumbers"][0]["purpose"] == "MOBILE"
        assert person["physicalAddresses"][0]["simple"]["addressLine1"] == "12 King Street"
    else:
        addresses = data["organisation"]["physicalAddresses"]
        assert {a["purpose"] for a in addresses} >= {"PHYSICAL", "REGISTERED"}
        assert any(a["addressUType"] == "paf" for a in addresses)


def test_customer_scopes_are_separate(grant, cdr):
    basic = grant("jane.citizen", scopes=[s.COMMON_CUSTOMER_BASIC_READ])
    assert cdr("get", "common/customer", basic, x_v="1").status_code == 200
    assert_cdr_error(cdr("get", "common/customer/detail", basic, x_v="2"), 403, "Authorisation/InvalidConsent")
    banking = grant("jane.citizen", scopes=[s.BANK_ACCOUNTS_BASIC_READ])
    assert_cdr_error(cdr("get", "common/customer", banking, x_v="1"), 403, "Authorisation/InvalidConsent")


def test_customer_is_always_the_consenting_one(bank, grant, cdr):
    # John shares the joint accounts with Jane; his token still only ever shows John.
    g = grant("john.citizen")
    person = cdr("get", "common/customer", g, x_v="1").json()["data"]["person"]
    assert (person["firstName"], person["lastName"]) == ("John", "Citizen")


def test_customer_detail_v1_is_retired(grant, cdr):
    g = grant("jane.citizen")
    assert_cdr_error(cdr("get", "common/customer/detail", g, x_v="1"), 406, "Header/UnsupportedVersion")
