"""The token lifecycle in the audit trail, through the real endpoints: issued (with the
certificate it is bound to), refreshed, revoked, and refused with the reason the caller is
not told; a revoked token used again is named "revoked", not "unknown"."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import AccessToken

from security.crypto import token_digest
from security.models import AuditEvent
from security.mtls import certificate_thumbprint
from security.oauth.housekeeping import oauth_records_purge
from security.oauth.models import RevokedToken
from tests.oauth import test_token
from tests.oauth.test_introspection_revocation import revoke
from tests.oauth.test_token import CERT, OTHER_CERT, accounts_call, refresh, tokens_for

seeded_bank = test_token.seeded_bank
bank = test_token.bank


def events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def test_issue_and_refresh_name_the_grant_and_the_bound_certificate(bank, client_app):
    first = tokens_for(client_app)
    issued = events("ACCESS_TOKEN_ISSUED")[-1]
    assert issued.detail["grant"] == "authorization_code"
    assert issued.detail["cert_thumbprint"] == certificate_thumbprint(CERT)
    assert issued.software_product_id == client_app.registration.software_product.software_product_id
    assert issued.arrangement_id and issued.arrangement_id == issued.subject_id

    assert refresh(client_app, first["refresh_token"], der=OTHER_CERT).status_code == 200
    (refreshed,) = events("ACCESS_TOKEN_REFRESHED")
    assert refreshed.detail["grant"] == "refresh_token"
    assert refreshed.detail["cert_thumbprint"] == certificate_thumbprint(OTHER_CERT)
    assert refreshed.arrangement_id == issued.arrangement_id
    assert first["access_token"] not in str(refreshed.detail)


def test_a_revoked_access_token_used_again_is_rejected_as_revoked(bank, client_app):
    tokens = tokens_for(client_app)
    assert revoke(client_app, tokens["access_token"]).status_code == 200
    assert events("TOKEN_REVOKED")[-1].detail == {"token_type": "access_token"}
    noted = RevokedToken.objects.get(token_digest=token_digest(tokens["access_token"]))
    assert noted.kind == "access_token" and noted.software_product_id == client_app.registration.software_product.software_product_id

    assert accounts_call(tokens["access_token"]).status_code == 401
    (rejected,) = events("TOKEN_REJECTED")
    assert rejected.outcome == "denied"
    assert rejected.detail["reason"] == "revoked"
    assert rejected.software_product_id == client_app.registration.software_product.software_product_id
    assert rejected.actor_type == "client"
    assert tokens["access_token"] not in str(rejected.detail)


def test_expired_and_unknown_tokens_are_rejected_with_their_reason(bank, client_app):
    tokens = tokens_for(client_app)
    AccessToken.objects.filter(token_checksum=token_digest(tokens["access_token"])).update(
        expires=timezone.now() - timedelta(seconds=1))
    assert accounts_call(tokens["access_token"]).status_code == 401
    assert accounts_call("not-a-token-we-issued").status_code == 401
    reasons = [e.detail["reason"] for e in events("TOKEN_REJECTED")]
    assert reasons == ["expired", "unknown"]
    # An expired token's row purged by housekeeping is not mistaken for a revoked one.
    oauth_records_purge()
    assert not RevokedToken.objects.filter(
        token_digest=token_digest(tokens["access_token"])).exists()


def test_a_token_presented_on_another_certificate_is_rejected_for_the_certificate(
        bank, client_app):
    tokens = tokens_for(client_app)
    assert accounts_call(tokens["access_token"], der=OTHER_CERT).status_code == 401
    (rejected,) = events("TOKEN_REJECTED")
    assert rejected.detail["reason"] == "certificate"
    assert rejected.software_product_id == client_app.registration.software_product.software_product_id
    assert rejected.subject_type == "arrangement" and rejected.arrangement_id


def test_refused_refresh_says_why_in_the_trail_and_nothing_more_to_the_caller(
        bank, make_client):
    owner, other = make_client(), make_client(name="Other App")
    tokens = tokens_for(owner)
    assert refresh(other, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(owner, "unknown-refresh-token").json()["error"] == "invalid_grant"
    assert revoke(owner, tokens["refresh_token"]).status_code == 200
    response = refresh(owner, tokens["refresh_token"])
    assert response.json() == {"error": "invalid_grant",
                               "error_description": "The refresh token is invalid, expired or revoked."}
    rejected = events("TOKEN_REQUEST_REJECTED")
    assert [(e.detail["reason"], e.detail["grant_type"], e.software_product_id)
            for e in rejected] == [
        ("other_client", "refresh_token", other.registration.software_product.software_product_id),
        ("unknown", "refresh_token", owner.registration.software_product.software_product_id),
        ("revoked", "refresh_token", owner.registration.software_product.software_product_id),
    ]
    assert all(e.outcome == "denied" and e.detail["error"] == "invalid_grant" for e in rejected)
    assert all(tokens["refresh_token"] not in str(e.detail) for e in rejected)


def test_revoking_another_clients_arrangement_is_audited(bank, make_client):
    from tests.oauth.test_introspection_revocation import revoke_arrangement

    owner, other = make_client(), make_client(name="Other App")
    body = tokens_for(owner)
    assert revoke_arrangement(other, body["cdr_arrangement_id"]).status_code == 422
    (refused,) = events("OAUTH_REQUEST_REJECTED")
    assert refused.detail["endpoint"] == "arrangement_revocation"
    assert refused.detail["error"].endswith("Authorisation/InvalidArrangement")
    assert refused.software_product_id == other.registration.software_product.software_product_id
    assert body["cdr_arrangement_id"] not in str(refused.detail)
