"""What the authorization server keeps beside DOT's own rows.

DOT keeps applications, grants (codes), access/refresh/ID tokens (digests only). These
models hold what CDR/FAPI adds: the registration metadata of each client (DCR), the
single-use stores (client assertion jti, request_uri), the pending authorization handed to the
consent pages, the link from a code and a refresh token to their arrangement, and pairwise
subject identifiers.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from oauth2_provider.settings import oauth2_settings

from security.consent.models import Arrangement
from security.recipients.models import SoftwareProduct


class ClientRegistration(models.Model):
    """A data recipient software product's registration at this bank (CDR DCR, cds_dcr.json)."""

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        DELETED = "DELETED"

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="registration"
    )
    software_product = models.ForeignKey(
        SoftwareProduct, on_delete=models.PROTECT, related_name="registrations"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    redirect_uris = models.JSONField(default=list)
    jwks_uri = models.URLField(max_length=500)
    # Cached copy of the client's JWKS; refreshed when an unknown kid arrives.
    jwks = models.JSONField(default=dict, blank=True)
    jwks_fetched_at = models.DateTimeField(null=True, blank=True)
    recipient_base_uri = models.URLField(max_length=500, blank=True, default="")
    sector_identifier_uri = models.URLField(max_length=500, blank=True, default="")
    scope = models.TextField(blank=True, default="")
    grant_types = models.JSONField(default=list)
    id_token_signed_response_alg = models.CharField(max_length=8, default="PS256")
    authorization_signed_response_alg = models.CharField(max_length=8, default="PS256")
    request_object_signing_alg = models.CharField(max_length=8, default="PS256")
    # The whole registration response body, as last returned (cds_dcr.json RegistrationProperties).
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("revoke_clientregistration",
                        "Can end a client's registration and every token it holds")]
        constraints = [
            # CDS: no multiple active registrations per software product.
            models.UniqueConstraint(
                fields=["software_product"], condition=Q(status="ACTIVE"),
                name="one_active_registration_per_software_product",
            ),
        ]

    def __str__(self) -> str:
        return f"Registration of {self.software_product_id} ({self.status})"

    @property
    def client_id(self) -> str:
        return self.application.client_id


class UsedClientAssertion(models.Model):
    """RFC 7523 §3 jti replay store, in the database so every worker shares it."""

    client_id = models.CharField(max_length=100)
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "jti"], name="client_assertion_jti_once"),
        ]

    def __str__(self) -> str:
        return f"Used assertion of {self.client_id}"


class PushedAuthorizationRequest(models.Model):
    """RFC 9126: a validated authorization request waiting for the browser, single use."""

    request_uri = models.CharField(max_length=200, unique=True)
    registration = models.ForeignKey(ClientRegistration, on_delete=models.CASCADE)
    # The validated request-object claims (redirect_uri, scope, state, nonce, PKCE, claims).
    parameters = models.JSONField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Pushed request #{self.pk}"


class AuthorizationRequest(models.Model):
    """An authorization in progress: the hand-over between /authorize and the consent pages.

    In: the pushed request, now tied to a browser. Out: the customer's decision (approved or
    declined, the selected accounts, the authentication level), after which the server
    redirects back to the client with a JARM response.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING"
        APPROVED = "APPROVED"
        DECLINED = "DECLINED"
        EXPIRED = "EXPIRED"

    class Stage(models.TextChoices):
        """How far the customer got (CDS Get Metrics `abandonmentsByStage`): the stage an
        authorization that never led to tokens was abandoned at."""

        IDENTIFICATION = "IDENTIFICATION", "preIdentification"
        AUTHENTICATION = "AUTHENTICATION", "preAuthentication"
        ACCOUNT_SELECTION = "ACCOUNT_SELECTION", "preAccountSelection"
        AUTHORISATION = "AUTHORISATION", "preAuthorisation"
        REJECTED = "REJECTED", "rejected"
        CODE_ISSUED = "CODE_ISSUED", "failedTokenExchange"
        COMPLETED = "COMPLETED", "completed"

    # Random, unguessable: the consent pages carry it, never the request_uri.
    handle = models.CharField(max_length=64, unique=True)
    pushed = models.OneToOneField(PushedAuthorizationRequest, on_delete=models.CASCADE)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.IDENTIFICATION)

    def __str__(self) -> str:
        return f"Authorization request #{self.pk} ({self.status})"


class GrantContext(models.Model):
    """What an authorization code stands for beyond DOT's Grant row."""

    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL, on_delete=models.CASCADE, related_name="context"
    )
    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE)
    auth_time = models.DateTimeField()
    acr = models.CharField(max_length=32)
    # The request object's sharing_duration in seconds, capped at a year; 0 = once-off
    # (an access token only, no refresh token).
    sharing_duration = models.PositiveIntegerField(default=0)
    # Arrangement whose tokens are revoked once this (amending) authorization succeeds.
    replaces = models.ForeignKey(
        Arrangement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The authorization that issued the code: marked COMPLETED when the code is redeemed.
    authorization_request = models.ForeignKey(
        AuthorizationRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Context of grant #{self.grant_id}"


class UsedAuthorizationCode(models.Model):
    """Digest of every redeemed code, to detect replays and revoke what the code issued."""

    code_digest = models.CharField(max_length=64, unique=True)
    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE)
    used_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Used code for arrangement #{self.arrangement_id}"


class RefreshTokenContext(models.Model):
    refresh_token = models.OneToOneField(
        oauth2_settings.REFRESH_TOKEN_MODEL, on_delete=models.CASCADE, related_name="context"
    )
    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Context of refresh token #{self.refresh_token_id}"


class ClientTokenBinding(models.Model):
    """RFC 8705 binding of a client-credentials token (no arrangement: AccessTokenBinding's
    place for customer tokens)."""

    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL, on_delete=models.CASCADE, related_name="client_binding"
    )
    certificate_thumbprint = models.CharField(max_length=43, blank=True, default="")

    def __str__(self) -> str:
        return f"Client binding of token #{self.access_token_id}"


class PairwiseSubject(models.Model):
    """OIDC Core §8.1 pairwise `sub`: a random UUID per customer login and sector."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    sector_identifier = models.CharField(max_length=255)
    sub = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "sector_identifier"], name="pairwise_once"),
        ]

    def __str__(self) -> str:
        return f"Pairwise subject #{self.pk}"


class RevokedToken(models.Model):
    """The digest of a token revoked before it would have expired, kept until then.

    Revoked tokens are deleted (security/oauth/revocations.py notes them first), so a later
    use would otherwise look like a random string: with this row the refusal is audited as
    "revoked" and the detector raises an alert at once (a leaked or replayed token).
    """

    class Kind(models.TextChoices):
        ACCESS = "access_token"
        REFRESH = "refresh_token"

    token_digest = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    software_product_id = models.CharField(max_length=100, blank=True)
    arrangement_id = models.CharField(max_length=32, blank=True)
    revoked_at = models.DateTimeField(auto_now_add=True)
    #: When the token would have expired; housekeeping forgets the row after that.
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Revoked {self.kind} #{self.pk}"
