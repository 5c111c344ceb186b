"""Get Payees v2 and Get Payee Detail v2."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from security import scopes as s
from security.consent.models import ArrangementStatus
from security.resource_ids import ResourceIds, ResourceKind
from tests.cdr_schema import assert_cdr_response
from tests.conftest import assert_cdr_error
from tests.decrypted import get_decrypted
from transactions.models import Payee

PAYEES = "banking/payees"
LINK = "https://bank.example.test/cds-au/v1/banking/payees"


def _payee(username: str, nickname: str, bank) -> Payee:
    return get_decrypted(Payee.objects.filter(customer=bank.customer(username)),
                         nickname=nickname)


def _detail(payee_id: str) -> str:
    return f"{PAYEES}/{payee_id}"


def _extra_payees(bank, count: int) -> list[Payee]:
    jane = bank.customer("jane.citizen")
    return [
        Payee.objects.create(customer=jane, payee_type="BILLER", nickname=f"Biller {n}",
                             biller_code=f"1000{n}", biller_name=f"BILLER {n}")
        for n in range(count)
    ]


# Get Payees -----------------------------------------------------------------------------
def test_payee_list_returns_the_customers_payees_with_their_ids(bank, grant, cdr):
    g = grant("jane.citizen")
    body = assert_cdr_response(cdr("get", PAYEES, g, x_v="2"), "listBankingPayees", version=2)
    agl, wallet = _payee("jane.citizen", "AGL", bank), _payee("jane.citizen", "PayPal", bank)
    created = agl.creation_date.isoformat()
    assert body["data"]["payees"] == [
        {"payeeId": g.id_for(ResourceKind.PAYEE, agl.pk), "nickname": "AGL",
         "description": "Electricity", "type": "BILLER", "creationDate": created},
        {"payeeId": g.id_for(ResourceKind.PAYEE, wallet.pk), "nickname": "PayPal",
         "type": "DIGITAL_WALLET", "creationDate": created},
    ]
    decoded = [g.ids.decode(ResourceKind.PAYEE, p["payeeId"]) for p in body["data"]["payees"]]
    assert decoded == [agl.pk, wallet.pk]
    assert body["meta"] == {"totalRecords": 2, "totalPages": 1}
    assert body["links"] == {
        "self": LINK,
        "first": f"{LINK}?page=1&page-size=25",
        "last": f"{LINK}?page=1&page-size=25",
    }


def test_payee_list_never_shows_another_customers_payees(bank, grant, cdr):
    # John shares joint accounts with Jane; his payees are still his alone.
    jane = cdr("get", PAYEES, grant("jane.citizen"), x_v="2").json()["data"]["payees"]
    john = cdr("get", PAYEES, grant("john.citizen"), x_v="2").json()["data"]["payees"]
    assert [p["nickname"] for p in jane] == ["AGL", "PayPal"]
    assert [p["nickname"] for p in john] == ["Mum", "Sam card"]


def test_payee_list_does_not_depend_on_the_accounts_shared(grant, cdr):
    g = grant("jane.citizen", accounts=[])
    body = assert_cdr_response(cdr("get", PAYEES, g, x_v="2"), "listBankingPayees")
    assert [p["nickname"] for p in body["data"]["payees"]] == ["AGL", "PayPal"]


def test_payee_ids_differ_per_software_product_and_are_stable(bank, grant, cdr, make_product):
    first = grant("jane.citizen")
    again = grant("jane.citizen")
    other = grant("jane.citizen", software_product=make_product("Other App"))
    ids = [
        [p["payeeId"] for p in cdr("get", PAYEES, g, x_v="2").json()["data"]["payees"]]
        for g in (first, again, other)
    ]
    assert ids[0] == ids[1]
    assert not set(ids[0]) & set(ids[2])


@pytest.mark.parametrize(
    ("username", "payee_type", "expected"),
    [
        ("jane.citizen", "ALL", ["AGL", "PayPal"]),
        ("jane.citizen", "BILLER", ["AGL"]),
        ("jane.citizen", "DIGITAL_WALLET", ["PayPal"]),
        ("jane.citizen", "DOMESTIC", []),
        ("priya.sharma", "DOMESTIC", ["Flatmate"]),
        ("priya.sharma", "INTERNATIONAL", ["Family in Mumbai"]),
        ("john.citizen", "DOMESTIC", ["Mum", "Sam card"]),
        ("john.citizen", "INTERNATIONAL", []),
    ],
)
def test_payee_list_type_filter(grant, cdr, username, payee_type, expected):
    g = grant(username)
    body = assert_cdr_response(cdr("get", PAYEES, g, x_v="2", query={"type": payee_type}),
                               "listBankingPayees")
    assert [p["nickname"] for p in body["data"]["payees"]] == expected
    if payee_type != "ALL":
        assert {p["type"] for p in body["data"]["payees"]} <= {payee_type}
    assert body["meta"]["totalRecords"] == len(expected)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"type": "biller"}, "type"),
        ({"type": "CARD"}, "type"),
        ({"type": ""}, "type"),
        ({"type": "PAYID"}, "type"),
        ({"payee-type": "BILLER"}, "payee-type"),
        ({"product-category": "TERM_DEPOSITS"}, "product-category"),
        ({"page": "0"}, "page"),
        ({"page-size": "abc"}, "page-size"),
    ],
)
def test_payee_list_rejects_bad_or_unknown_parameters(grant, cdr, query, field):
    g = grant("jane.citizen")
    response = cdr("get", PAYEES, g, x_v="2", query=query)
    assert_cdr_error(response, 400, "Field/Invalid", field)
    assert_cdr_response(response, "listBankingPayees")


def test_payee_list_pagination_edges(bank, grant, cdr):
    extra = _extra_payees(bank, 3)  # 5 payees in all
    g = grant("jane.citizen")
    everything = [p["payeeId"] for p in cdr("get", PAYEES, g, x_v="2").json()["data"]["payees"]]
    assert len(everything) == 5
    assert everything[2:] == [g.id_for(ResourceKind.PAYEE, p.pk) for p in extra]

    page2 = assert_cdr_response(cdr("get", PAYEES, g, x_v="2", query={"page": "2", "page-size": "2"}),
                                "listBankingPayees")
    assert [p["payeeId"] for p in page2["data"]["payees"]] == everything[2:4]
    assert page2["meta"] == {"totalRecords": 5, "totalPages": 3}
    assert page2["links"] == {
        "self": f"{LINK}?page=2&page-size=2",
        "first": f"{LINK}?page=1&page-size=2",
        "prev": f"{LINK}?page=1&page-size=2",
        "next": f"{LINK}?page=3&page-size=2",
        "last": f"{LINK}?page=3&page-size=2",
    }
    first = cdr("get", PAYEES, g, x_v="2", query={"page-size": "2"}).json()
    assert set(first["links"]) == {"self", "first", "next", "last"}
    last = cdr("get", PAYEES, g, x_v="2", query={"page": "3", "page-size": "2"}).json()
    assert [p["payeeId"] for p in last["data"]["payees"]] == everything[4:]
    assert set(last["links"]) == {"self", "first", "prev", "last"}
    # Filter and pagination together: the links keep the filter.
    billers = cdr("get", PAYEES, g, x_v="2", query={"type": "BILLER", "page-size": "3"}).json()
    assert billers["meta"] == {"totalRecords": 4, "totalPages": 2}
    assert billers["links"]["next"] == f"{LINK}?type=BILLER&page-size=3&page=2"

    assert_cdr_error(cdr("get", PAYEES, g, x_v="2", query={"page": "4", "page-size": "2"}),
                     422, "Field/InvalidPage", "3")
    assert_cdr_error(cdr("get", PAYEES, g, x_v="2", query={"page-size": "1001"}),
                     400, "Field/InvalidPageSize")
    assert cdr("get", PAYEES, g, x_v="2", query={"page-size": "1000"}).status_code == 200


def test_payee_list_empty_page_one_is_fine_but_page_two_is_not(bank, grant, cdr):
    g = grant("jane.citizen")
    body = assert_cdr_response(cdr("get", PAYEES, g, x_v="2", query={"type": "INTERNATIONAL"}),
                               "listBankingPayees")
    assert body["data"] == {"payees": []}
    assert body["meta"] == {"totalRecords": 0, "totalPages": 0}
    assert_cdr_error(cdr("get", PAYEES, g, x_v="2", query={"type": "INTERNATIONAL", "page": "2"}),
                     422, "Field/InvalidPage", "0")


@pytest.mark.parametrize(("x_v", "x_min_v"), [("2", None), ("9", "1"), ("3", "2"), ("2", "2"), ("2", "5")])
def test_payee_list_version_negotiation(grant, cdr, x_v, x_min_v):
    response = cdr("get", PAYEES, grant("jane.citizen"), x_v=x_v, x_min_v=x_min_v)
    assert response.status_code == 200
    assert response["x-v"] == "2"
    assert_cdr_response(response, "listBankingPayees", version=2)


@pytest.mark.parametrize(("x_v", "x_min_v", "status", "code"), [
    ("1", None, 406, "Header/UnsupportedVersion"),
    ("9", None, 406, "Header/UnsupportedVersion"),
    ("3", "3", 406, "Header/UnsupportedVersion"),
    (None, None, 400, "Header/Missing"),
    ("v2", None, 400, "Header/InvalidVersion"),
])
def test_payee_list_version_errors(grant, cdr, x_v, x_min_v, status, code):
    assert_cdr_error(cdr("get", PAYEES, grant("jane.citizen"), x_v=x_v, x_min_v=x_min_v), status, code)


# Get Payee Detail -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("username", "nickname", "expected"),
    [
        ("jane.citizen", "AGL", {
            "description": "Electricity", "type": "BILLER", "payeeUType": "biller",
            "biller": {"billerCode": "23796", "crn": "4001234567", "billerName": "AGL ENERGY"},
        }),
        ("jane.citizen", "PayPal", {
            "type": "DIGITAL_WALLET", "payeeUType": "digitalWallet",
            "digitalWallet": {"name": "Jane Citizen", "identifier": "jane@example.com",
                              "type": "EMAIL", "provider": "PAYPAL_AU"},
        }),
        ("john.citizen", "Mum", {
            "type": "DOMESTIC", "payeeUType": "domestic",
            "domestic": {"payeeAccountUType": "account",
                         "account": {"accountName": "M CITIZEN", "bsb": "062000",
                                     "accountNumber": "12345678"}},
        }),
        ("john.citizen", "Sam card", {
            "type": "DOMESTIC", "payeeUType": "domestic",
            "domestic": {"payeeAccountUType": "card", "card": {"cardNumber": "xxxx xxxx xxxx 1234"}},
        }),
        ("priya.sharma", "Flatmate", {
            "type": "DOMESTIC", "payeeUType": "domestic",
            "domestic": {"payeeAccountUType": "payId",
                         "payId": {"name": "Tom Lee", "identifier": "tom.lee@example.com",
                                   "type": "EMAIL"}},
        }),
        ("priya.sharma", "Family in Mumbai", {
            "type": "INTERNATIONAL", "payeeUType": "international",
            "international": {
                "beneficiaryDetails": {"name": "Anil Sharma", "country": "IND",
                                       "message": "Family support"},
                "bankDetails": {"country": "IND", "accountNumber": "50100123456789",
                                "bankAddress": {"name": "HDFC Bank", "address": "Fort, Mumbai 400001"},
                                "beneficiaryBankBIC": "HDFCINBBXXX"},
            },
        }),
        ("acme.agent", "Widget Parts", {
            "type": "DOMESTIC", "payeeUType": "domestic",
            "domestic": {"payeeAccountUType": "payId",
                         "payId": {"name": "Widget Parts Australia", "identifier": "62000000001",
                                   "type": "ABN"}},
        }),
    ],
)
def test_payee_detail_body_for_every_payee_type(bank, grant, cdr, username, nickname, expected):
    payee = _payee(username, nickname, bank)
    g = grant(username, accounts=[])
    payee_id = g.id_for(ResourceKind.PAYEE, payee.pk)
    response = cdr("get", _detail(payee_id), g, x_v="2")
    body = assert_cdr_response(response, "getBankingPayeeDetail", version=2)
    assert body["data"] == {"payeeId": payee_id, "nickname": nickname,
                            "creationDate": payee.creation_date.isoformat(), **expected}
    assert body["links"] == {"self": f"{LINK}/{payee_id}"}


def test_payee_detail_never_shows_a_full_card_number(bank, grant, cdr):
    payee = _payee("john.citizen", "Sam card", bank)
    g = grant("john.citizen")
    response = cdr("get", _detail(g.id_for(ResourceKind.PAYEE, payee.pk)), g, x_v="2")
    assert payee.domestic_card_number not in response.content.decode()
    assert "4564" not in response.content.decode()


def test_payee_detail_masks_a_crn_shaped_like_a_card_number(bank, grant, cdr):
    payee = Payee.objects.create(customer=bank.customer("jane.citizen"), payee_type="BILLER",
                                 nickname="Card bill", biller_code="12345", biller_name="CARD CO",
                                 biller_crn="4564 1234 5678 9012", creation_date=date(2026, 1, 2))
    g = grant("jane.citizen")
    body = assert_cdr_response(cdr("get", _detail(g.id_for(ResourceKind.PAYEE, payee.pk)), g, x_v="2"),
                               "getBankingPayeeDetail")
    assert body["data"]["biller"] == {"billerCode": "12345", "crn": "xxxx xxxx xxxx 9012",
                                      "billerName": "CARD CO"}


def test_payee_detail_leaves_out_a_partial_bank_address(bank, grant, cdr):
    payee = _payee("priya.sharma", "Family in Mumbai", bank)
    Payee.objects.filter(pk=payee.pk).update(international_bank_address="")
    g = grant("priya.sharma")
    body = assert_cdr_response(cdr("get", _detail(g.id_for(ResourceKind.PAYEE, payee.pk)), g, x_v="2"),
                               "getBankingPayeeDetail")
    assert "bankAddress" not in body["data"]["international"]["bankDetails"]


@pytest.mark.parametrize(
    "case",
    ["other_customer", "other_customers_own_id", "other_software_product", "nonexistent", "forged",
     "garbage", "other_kind"],
)
def test_payee_detail_unreachable_ids_answer_404_resource_invalid(bank, grant, cdr, make_product, case):
    agl = _payee("jane.citizen", "AGL", bank)
    priya_payee = _payee("priya.sharma", "Flatmate", bank)
    g = grant("jane.citizen")
    priya_ids = ResourceIds(customer_key=str(bank.customer("priya.sharma").pk),
                            software_product_id=g.product.software_product_id)
    other_product = ResourceIds(customer_key=str(g.customer.pk), software_product_id="sp-elsewhere")
    real = g.id_for(ResourceKind.PAYEE, agl.pk)
    payee_id = {
        # Priya's payee, encoded as if for Jane: decodes, but is not Jane's.
        "other_customer": g.id_for(ResourceKind.PAYEE, priya_payee.pk),
        # The ID Priya's own app would see: does not decode for Jane.
        "other_customers_own_id": priya_ids.encode(ResourceKind.PAYEE, priya_payee.pk),
        "other_software_product": other_product.encode(ResourceKind.PAYEE, agl.pk),
        "nonexistent": g.id_for(ResourceKind.PAYEE, 10_000_000),
        "forged": real[:-2] + ("AA" if not real.endswith("AA") else "BB"),
        "garbage": "AGL",
        "other_kind": g.id_for(ResourceKind.ACCOUNT, agl.pk),
    }[case]
    response = cdr("get", _detail(payee_id), g, x_v="2")
    expected_detail = payee_id if len(payee_id) == 32 else "payeeId"
    assert_cdr_error(response, 404, "Resource/Invalid", expected_detail)
    assert_cdr_response(response, "getBankingPayeeDetail")


def test_payee_detail_runs_the_same_queries_for_forged_and_foreign_ids(bank, grant, cdr):
    priya_payee = _payee("priya.sharma", "Flatmate", bank)
    g = grant("jane.citizen")
    # The first refusal also makes the audit chain's key (once per database): not counted.
    cdr("get", _detail("x"), g, x_v="2")
    counts = []
    for payee_id in (g.id_for(ResourceKind.PAYEE, priya_payee.pk), "Z" * 32, "x"):
        with CaptureQueriesContext(connection) as queries:
            assert cdr("get", _detail(payee_id), g, x_v="2").status_code == 404
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]


@pytest.mark.parametrize(("x_v", "x_min_v", "status"),
                         [("1", None, 406), ("3", None, 406), ("2", None, 200), ("3", "1", 200)])
def test_payee_detail_versions(bank, grant, cdr, x_v, x_min_v, status):
    payee = _payee("jane.citizen", "AGL", bank)
    g = grant("jane.citizen")
    response = cdr("get", _detail(g.id_for(ResourceKind.PAYEE, payee.pk)), g, x_v=x_v, x_min_v=x_min_v)
    if status == 406:
        assert_cdr_error(response, 406, "Header/UnsupportedVersion")
    else:
        assert_cdr_response(response, "getBankingPayeeDetail", version=2)


def test_payee_detail_takes_no_query_parameters(bank, grant, cdr):
    payee = _payee("jane.citizen", "AGL", bank)
    g = grant("jane.citizen")
    assert_cdr_error(cdr("get", _detail(g.id_for(ResourceKind.PAYEE, payee.pk)), g, x_v="2",
                         query={"type": "BILLER"}), 400, "Field/Invalid", "type")


# Access control (both endpoints) ---------------------------------------------------------
def _both_paths(bank, g) -> list[str]:
    return [PAYEES, _detail(g.id_for(ResourceKind.PAYEE, _payee("jane.citizen", "AGL", bank).pk))]


def test_payees_need_a_token(bank, grant, cdr):
    g = grant("jane.citizen")
    for path in _both_paths(bank, g):
        response = cdr("get", path, None, x_v="2")
        assert_cdr_error(response, 401, "GeneralError/Expected")
        assert response.has_header("WWW-Authenticate")


@pytest.mark.parametrize(
    ("scopes", "token_scopes"),
    [
        ([s.BANK_ACCOUNTS_BASIC_READ, s.BANK_REGULAR_PAYMENTS_READ], None),
        # The arrangement has the scope but this token was issued without it.
        ([s.BANK_PAYEES_READ, s.BANK_ACCOUNTS_BASIC_READ], [s.BANK_ACCOUNTS_BASIC_READ]),
    ],
)
def test_payees_need_the_payees_scope(bank, grant, cdr, scopes, token_scopes):
    g = grant("jane.citizen", scopes=scopes, token_scopes=token_scopes)
    for path in _both_paths(bank, g):
        assert_cdr_error(cdr("get", path, g, x_v="2"), 403, "Authorisation/InvalidConsent")


def test_payees_scope_alone_is_enough(bank, grant, cdr):
    g = grant("jane.citizen", scopes=[s.BANK_PAYEES_READ], accounts=[])
    for path in _both_paths(bank, g):
        assert cdr("get", path, g, x_v="2").status_code == 200


def test_payees_refused_on_a_revoked_arrangement(bank, grant, cdr):
    g = grant("jane.citizen", status=ArrangementStatus.REVOKED)
    for path in _both_paths(bank, g):
        assert_cdr_error(cdr("get", path, g, x_v="2"), 403, "Authorisation/RevokedConsent")


def test_payees_refuse_post(grant, cdr):
    g = grant("jane.citizen")
    response = cdr("post", PAYEES, g, x_v="2", data={"data": {"accountIds": ["x"]}})
    assert response.status_code == 405
