"""Staff console fixtures: seeded personal data, and console clients for users holding
exactly the permissions a test names (past the staff MFA gate via its session marker)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from accounts import choices as c
from accounts.models import Account, AccountHolder, Customer, Product, User
from security.consent.models import Arrangement
from security.oauth.models import ClientRegistration
from security.recipients.models import DataRecipient, SoftwareProduct
from tests.staff.helpers import staff_session_with_second_factor

#: Every plaintext seeded below that must never reach a page shown to a support user.
SECRETS = ("Matilda", "Wormwood", "matilda.w@example.com", "Matilda.W@Example.com",
           "98765432", "Wormwood Savings", "Agatha", "Trunchbull")
ACCOUNT_NUMBER = "98765432"
EMAIL = "Matilda.W@Example.com"


def console_client(user: User) -> Client:
    """A browser session signed in with a second factor (TOTP, as the sign-in form leaves
    it; an "oidc" marker also needs the SSO app's identity mapping, tested there)."""
    client = Client()
    staff_session_with_second_factor(client, user, method="totp")
    return client


@pytest.fixture
def staff_with(db: Any) -> Callable[..., tuple[Client, User]]:
    """staff_with("accounts.view_customer", ...): a member of staff with exactly these."""

    def make(*names: str) -> tuple[Client, User]:
        user = User.objects.create_user(f"staff-{uuid.uuid4().hex[:8]}",
                                        password="a-long-staff-password-1", is_staff=True)
        for name in names:
            app_label, codename = name.split(".")
            user.user_permissions.add(Permission.objects.get(
                content_type__app_label=app_label, codename=codename))
        user = User.objects.get(pk=user.pk)  # no cached permissions
        return console_client(user), user

    return make


@pytest.fixture
def seeded(db: Any) -> dict[str, Any]:
    person = Customer.objects.create(
        customer_type=c.CustomerType.PERSON, first_name="Matilda", last_name="Wormwood",
        date_of_birth=date(1988, 5, 17), last_update_time=timezone.now())
    person.email_addresses.create(purpose="HOME", address=EMAIL, is_preferred=True)
    person.phone_numbers.create(purpose="HOME", number="0400111222",
                                full_number="tel:+61-400-111-222")
    person.physical_addresses.create(purpose="MAIL", address_utype="simple",
                            mailing_name="Agatha Trunchbull", address_line1="1 Wormwood Lane", city="Sydney",
                                     state="NSW")
    other = Customer.objects.create(customer_type=c.CustomerType.PERSON, last_name="Honey",
                                    last_update_time=timezone.now())
    login = User.objects.create_user("matilda-login", password="a-customer-password-1",
                                     customer=person)
    product = Product.objects.create(brand="demo", name="Everyday", description="d",
                                     category=c.ProductCategory.TRANS_AND_SAVINGS_ACCOUNTS,
                                     last_updated=timezone.now())
    account = Account.objects.create(product=product, display_name="Wormwood Savings",
                                     bsb="062000", account_number=ACCOUNT_NUMBER)
    other_account = Account.objects.create(product=product, display_name="Other",
                                           bsb="062000", account_number="11112222")
    AccountHolder.objects.create(account=account, customer=person)
    recipient = DataRecipient.objects.create(legal_entity_id="le-1",
                                             legal_entity_name="Budget Buddy Pty Ltd")
    application = Application.objects.create(
        name="Budget Buddy", client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://recipient.example/cb", algorithm="RS256", client_secret="",
        hash_client_secret=False)
    software = SoftwareProduct.objects.create(recipient=recipient, software_product_id="sp-1",
                                              name="Budget Buddy", client=application)
    registration = ClientRegistration.objects.create(
        application=application, software_product=software,
        redirect_uris=["https://recipient.example/cb"],
        jwks_uri="https://recipient.example/jwks", recipient_base_uri="https://recipient.example",
        scope="openid bank:accounts.basic:read", grant_types=["authorization_code"])
    arrangement = Arrangement.objects.create(customer=person, user=login,
                                             software_product=software, scope="openid")
    arrangement.accounts.add(account)
    token = AccessToken.objects.create(application=application, token="at-secret-1",
                                       expires=timezone.now() + timedelta(hours=1),
                                       scope="openid")
    RefreshToken.objects.create(application=application, token="rt-secret-1",
                                access_token=token, user=login)
    return {"customer": person, "other": other, "login": login, "account": account,
            "other_account": other_account, "software": software,
            "registration": registration, "arrangement": arrangement}
