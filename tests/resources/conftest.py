"""Fixtures for the authenticated resource endpoints.

The demo cast (Jane and John with joint accounts, Priya, the Acme organisation) is seeded
once for this package and removed after it; each test runs in a rolled-back transaction on
top. Access is granted the way the authorization server will: an arrangement for chosen
accounts and scopes, a DOT access token for the software product's client, and the binding
between the two. Tokens are stored as digests only (RFC 9700 storage), as in production.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date
from oauth2_provider.models import AccessToken, Application

from accounts.demo.seeder import demo_data_delete, seed_run
from accounts.models import Account, Customer, User
from security import scopes as s
from security.consent.models import AccessTokenBinding, Arrangement, ArrangementStatus
from security.recipients.models import DataRecipient, SoftwareProduct
from security.resource_ids import ResourceIds, ResourceKind
from tests.decrypted import get_decrypted

ALL_SCOPES = tuple(sorted(s.CDR_DATA_SCOPES))
BASE = "/cds-au/v1"


def demo_bank_seeded(django_db_blocker: Any, *, seed: int, transactions_per_account: int) -> Any:
    """Body of a broad-scoped fixture: the demo bank seeded once, and everything it and the
    tests made removed afterwards (tests/transactions/conftest.py seeds a smaller one)."""
    with django_db_blocker.unblock():
        demo_data_delete()
        seed_run(seed=seed, as_of=timezone.now().date(), customers=0,
                 transactions_per_account=transactions_per_account, brand="demo",
                 brand_name="Demo Bank")
    yield
    with django_db_blocker.unblock():
        Arrangement.objects.all().delete()
        AccessToken.objects.all().delete()
        SoftwareProduct.objects.all().delete()
        DataRecipient.objects.all().delete()
        Application.objects.all().delete()
        demo_data_delete()


@pytest.fixture(scope="package")
def seeded_bank(django_db_setup: Any, django_db_blocker: Any) -> Any:
    yield from demo_bank_seeded(django_db_blocker, seed=20261128, transactions_per_account=40)


@pytest.fixture
def bank(seeded_bank: Any, db: Any) -> BankData:
    return BankData()


class BankData:
    """Lookups into the seeded cast by login and account name."""

    def customer(self, username: str) -> Customer:
        return User.objects.get(username=username).customer  # type: ignore[return-value]

    def accounts(self, username: str) -> list[Account]:
        return list(Account.objects.filter(account_holders__customer=self.customer(username)).order_by("id"))

    def account(self, username: str, display_name: str) -> Account:
        return get_decrypted(
            Account.objects.filter(account_holders__customer=self.customer(username)),
            display_name=display_name,
        )


@dataclass
class Grant:
    token: str
    arrangement: Arrangement
    access_token: AccessToken
    product: SoftwareProduct
    customer: Customer
    ids: ResourceIds = field(init=False)

    def __post_init__(self) -> None:
        self.ids = ResourceIds(customer_key=str(self.customer.pk),
                               software_product_id=self.product.software_product_id)

    def account_id(self, account: Account) -> str:
        return self.ids.encode(ResourceKind.ACCOUNT, account.pk)

    def account_id_pk(self, pk: int) -> str:
        return self.ids.encode(ResourceKind.ACCOUNT, pk)

    def id_for(self, kind: ResourceKind, pk: int) -> str:
        return self.ids.encode(kind, pk)


@pytest.fixture
def make_product(db: Any) -> Callable[..., SoftwareProduct]:
    """A data recipient's software product with its OAuth client."""
    counter = iter(range(1, 1000))

    def make(name: str = "Budget Buddy", *, status: str = "ACTIVE",
             recipient_status: str = "ACTIVE") -> SoftwareProduct:
        n = next(counter)
        recipient = DataRecipient.objects.create(
            legal_entity_id=f"le-{n}-{secrets.token_hex(4)}", legal_entity_name=f"{name} Pty Ltd",
            status=recipient_status,
        )
        client = Application.objects.create(
            name=name, client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris="https://app.example/callback", algorithm="RS256",
        )
        return SoftwareProduct.objects.create(
            recipient=recipient, software_product_id=f"sp-{n}-{secrets.token_hex(8)}",
            name=name, status=status, client=client,
        )

    return make


@pytest.fixture
def product(make_product: Callable[..., SoftwareProduct]) -> SoftwareProduct:
    return make_product()


@pytest.fixture
def grant(bank: BankData, product: SoftwareProduct) -> Callable[..., Grant]:
    """`grant("jane.citizen", accounts=[...], scopes=[...])`: an arrangement and a token."""

    def make(username: str = "jane.citizen", *, accounts: Iterable[Account] | None = None,
             scopes: Iterable[str] = ALL_SCOPES, token_scopes: Iterable[str] | None = None,
             software_product: SoftwareProduct | None = None,
             status: str = ArrangementStatus.ACTIVE, sharing_days: int | None = 365,
             token_seconds: int = 600, thumbprint: str = "",
             arrangement: Arrangement | None = None) -> Grant:
        sp = software_product or product
        customer = bank.customer(username)
        user = User.objects.get(username=username)
        if arrangement is None:
            arrangement = Arrangement.objects.create(
                customer=customer, user=user, software_product=sp, scope=" ".join(scopes),
                status=status,
                revoked_at=timezone.now() if status == ArrangementStatus.REVOKED else None,
                sharing_expires_at=(timezone.now() + timedelta(days=sharing_days)
                                    if sharing_days is not None else None),
            )
            arrangement.accounts.set(bank.accounts(username) if accounts is None else accounts)
        raw = secrets.token_urlsafe(32)
        access = AccessToken(user=user, application=sp.client, token="",
                             expires=timezone.now() + timedelta(seconds=token_seconds),
                             scope=" ".join(token_scopes if token_scopes is not None else scopes))
        access._raw_token = raw  # type: ignore[attr-defined]  # DOT: digest only at rest
        access.save()
        AccessTokenBinding.objects.create(access_token=access, arrangement=arrangement,
                                          certificate_thumbprint=thumbprint)
        return Grant(token=raw, arrangement=arrangement, access_token=access, product=sp,
                     customer=customer)

    return make


@pytest.fixture
def cdr() -> Callable[..., Any]:
    """`cdr("get", path, grant, x_v="3")`: an authenticated CDR call, unattended by default.

    `present=True` adds the customer-present headers; pass `HTTP_...=None` to drop a default.
    """
    client = Client()

    def call(method: str, path: str, grant: Grant | None, *, x_v: str | None = None,
             x_min_v: str | None = None, present: bool = False, data: Any = None,
             query: dict[str, str] | None = None, **extra: Any) -> Any:
        headers: dict[str, Any] = {
            "HTTP_ACCEPT": "application/json",
            "HTTP_X_FAPI_AUTH_DATE": http_date(),
        }
        if grant is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {grant.token}"
        if x_v is not None:
            headers["HTTP_X_V"] = x_v
        if x_min_v is not None:
            headers["HTTP_X_MIN_V"] = x_min_v
        if present:
            headers["HTTP_X_FAPI_CUSTOMER_IP_ADDRESS"] = "203.0.113.7"
            headers["HTTP_X_CDS_CLIENT_HEADERS"] = "VXNlci1BZ2VudDogTW96aWxsYS81LjA="
        headers.update(extra)
        headers = {k: v for k, v in headers.items() if v is not None}
        url = path if path.startswith("/") else f"{BASE}/{path}"
        if method == "post":
            import json

            return client.post(url, data=json.dumps(data) if not isinstance(data, (str, bytes)) else data,
                               content_type=headers.pop("CONTENT_TYPE", "application/json"),
                               QUERY_STRING=_qs(query), **headers)
        return client.get(url, query or {}, **headers)

    return call


def _qs(query: dict[str, str] | None) -> str:
    from urllib.parse import urlencode

    return urlencode(query or {})
