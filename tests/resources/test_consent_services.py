"""Arrangement and token services, and the demo token command."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from oauth2_provider.models import AccessToken

from accounts.models import User
from security import audit
from security.consent import services
from security.consent.models import ArrangementStatus
from security.models import AuditEvent
from tests.conftest import assert_cdr_error

ACTOR = audit.Actor.system("test")


def _create(bank, product, username="jane.citizen", **kw):
    fields = {
        "customer": bank.customer(username), "user": User.objects.get(username=username),
        "software_product": product, "scopes": ["bank:accounts.basic:read"],
        "accounts": bank.accounts(username)[:2],
        "sharing_expires_at": timezone.now() + timedelta(days=30), "actor": ACTOR, **kw,
    }
    return services.arrangement_create(**fields)


def test_arrangement_and_token_work_end_to_end(bank, product, cdr):
    arrangement = _create(bank, product)
    raw, token = services.access_token_issue(arrangement=arrangement, certificate_thumbprint="", actor=ACTOR)
    assert token.token == "" and token.token_checksum and raw not in token.token_checksum
    assert token.expires - timezone.now() <= timedelta(minutes=10)

    class G:  # what cdr() needs of a grant
        pass

    g = G()
    g.token = raw
    body = cdr("get", "banking/accounts", g, x_v="3").json()
    assert len(body["data"]["accounts"]) == 2
    events = list(AuditEvent.objects.filter(event_type__in=[services.ARRANGEMENT_CREATED,
                                                            services.ACCESS_TOKEN_ISSUED]))
    assert len(events) == 2 and all(raw not in str(e.detail) for e in events)


def test_a_customer_cannot_share_someone_elses_account(bank, product):
    with pytest.raises(ValidationError):
        _create(bank, product, accounts=bank.accounts("priya.sharma")[:1])


def test_only_cdr_scopes(bank, product):
    with pytest.raises(ValidationError):
        _create(bank, product, scopes=["admin:metrics.basic:read"])


def test_revocation_deletes_the_tokens(bank, product, cdr):
    arrangement = _create(bank, product)
    raw, _ = services.access_token_issue(arrangement=arrangement, certificate_thumbprint="", actor=ACTOR)
    services.arrangement_revoke(arrangement=arrangement, actor=ACTOR)
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.REVOKED and arrangement.revoked_at
    assert not AccessToken.objects.filter(binding__arrangement=arrangement).exists()

    class G:
        token = raw

    assert_cdr_error(cdr("get", "banking/accounts", G(), x_v="3"), 401, "GeneralError/Expected")
    with pytest.raises(ValidationError):
        services.access_token_issue(arrangement=arrangement, certificate_thumbprint="", actor=ACTOR)


def test_demo_token_refuses_outside_dev(bank):
    with pytest.raises(CommandError):
        call_command("demo_token")


def test_demo_token_in_dev_is_bound_to_the_demo_client_certificate(bank, settings, cdr,
                                                                     tmp_path):
    from cryptography.hazmat.primitives.serialization import Encoding

    from security import pki

    settings.BANK_ENVIRONMENT = "dev"
    settings.BANK_MTLS_BASE_URL = "https://localhost:8444"
    pki.pki_init(root=tmp_path / "pki", signing_keys_dir=tmp_path / "signing",
                 register_keys_dir=tmp_path / "register")
    layout = pki.PkiLayout(tmp_path / "pki")
    out = io.StringIO()
    call_command("demo_token", "--customer", "priya.sharma", "--minutes", "5",
                 "--pki-dir", str(layout.root), stdout=out)
    lines = out.getvalue().splitlines()
    raw = lines[1]
    curl = next(line for line in lines if "common/customer" in line)
    assert f"--cert {layout.client_cert} --key {layout.client_key}" in curl
    assert "https://localhost:8444/cds-au/v1/common/customer" in curl

    class G:
        token = raw

    class PeerSocket:
        def __init__(self, der):
            self.der = der

        def getpeercert(self, binary_form=False):
            return self.der

    demo_der = pki.x509.load_pem_x509_certificate(
        layout.client_cert.read_bytes()).public_bytes(Encoding.DER)
    body = cdr("get", "common/customer", G(), x_v="1",
               **{"gunicorn.socket": PeerSocket(demo_der)}).json()
    assert body["data"]["person"]["firstName"] == "Priya"
    # Without the certificate, or with another one, the token is refused.
    assert cdr("get", "common/customer", G(), x_v="1").status_code == 401
    other_der = pki.x509.load_pem_x509_certificate(
        layout.ca_cert.read_bytes()).public_bytes(Encoding.DER)
    assert cdr("get", "common/customer", G(), x_v="1",
               **{"gunicorn.socket": PeerSocket(other_der)}).status_code == 401
    with pytest.raises(CommandError):
        call_command("demo_token", "--customer", "nobody", "--pki-dir", str(layout.root),
                     stdout=io.StringIO())


def test_once_off_consent_ends_with_its_first_token(bank, product):
    arrangement = _create(bank, product, sharing_expires_at=None)
    assert arrangement.sharing_expires_at - timezone.now() <= services.ACCESS_TOKEN_MAX_LIFETIME
    assert not arrangement.is_expired()
    assert arrangement.is_expired(timezone.now() + services.ACCESS_TOKEN_MAX_LIFETIME)


def test_an_arrangement_without_an_end_is_expired(bank, product):
    arrangement = _create(bank, product)
    arrangement.sharing_expires_at = None
    assert arrangement.is_expired()


def test_sharing_cannot_end_in_the_past(bank, product):
    with pytest.raises(ValidationError):
        _create(bank, product, sharing_expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.parametrize("minutes", [1, 11, 60 * 24])
def test_token_lifetime_is_two_to_ten_minutes(bank, product, minutes):
    arrangement = _create(bank, product)
    with pytest.raises(ValidationError):
        services.access_token_issue(arrangement=arrangement, certificate_thumbprint="",
                                    lifetime=timedelta(minutes=minutes), actor=ACTOR)


def test_demo_token_lifetime_is_capped(bank, settings):
    settings.BANK_ENVIRONMENT = "dev"
    with pytest.raises(CommandError):
        call_command("demo_token", "--minutes", "60", stdout=io.StringIO())
