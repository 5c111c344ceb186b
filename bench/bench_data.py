"""The data of a bench run (bench/run.py runs this once, migrated, under bank.settings.bench).

    python bench/bench_data.py OUT.json [--transactions 100000]

Seeds the demo cast, gives Jane Citizen's everyday account `--transactions` transactions over
the last 89 days (descriptions and references encrypted, as every row is), then registers a
data recipient's client the way DCR leaves it (an ES256 key in its cached JWKS, private_key_jwt,
the authorization_code/refresh_token grants) and an active arrangement over Jane's accounts.
Writes OUT.json (0600: it holds bearer tokens of this throwaway database): two access tokens
(one bound to the client certificate, one unbound for the run without mTLS), a refresh token,
the client's private key, its certificate (self-signed: the app parses the PEM the proxy
forwards, the proxy verifies chains) and a signed PAR request object, and the resource IDs.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCOPE = "openid profile bank:accounts.basic:read bank:transactions:read"
REDIRECT_URI = "https://recipient.bench.example/callback"
#: How long the tokens and the request object last: longer than any bench run.
VALIDITY = timedelta(minutes=55)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--transactions", type=int, default=100_000)
    options = parser.parse_args()
    import django

    django.setup()
    started = time.perf_counter()
    data = seed(options.transactions)
    data["seed_seconds"] = round(time.perf_counter() - started, 1)
    fd = os.open(options.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)


def seed(count: int) -> dict[str, Any]:
    from django.utils import timezone

    from accounts.demo.seeder import seed_run
    from accounts.models import Account, User
    from transactions.models import Transaction

    seed_run(seed=1, as_of=timezone.now().date(), customers=0, transactions_per_account=1,
             brand="demo", brand_name="Demo Bank")
    user = User.objects.get(username="jane.citizen")
    customer = user.customer
    assert customer is not None  # noqa: S101 - Jane is a customer
    accounts = list(Account.objects.filter(account_holders__customer=customer))
    # display_name is encrypted (no SQL lookup on it).
    account = next(a for a in accounts if a.display_name == "Everyday Account")
    Transaction.objects.filter(account=account).delete()
    now = timezone.now()
    step = timedelta(days=89) / count
    batch = []
    for i in range(count):
        when = now - step * (i + 1)
        batch.append(Transaction(
            account=account, status="POSTED", type="PAYMENT", amount=Decimal("-12.50") - i % 97,
            description=f"CARD PURCHASE {i % 500}", reference=f"RRN{i:09d}",
            execution_date_time=when, posting_date_time=when))
        if len(batch) == 5000:
            Transaction.objects.bulk_create(batch)
            batch = []
    Transaction.objects.bulk_create(batch)
    newest = Transaction.objects.filter(account=account).order_by("-effective_date_time", "-id")
    detail = newest.first()
    assert detail is not None  # noqa: S101 - just seeded
    from django.db import connection

    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load in production: statistics for the
        # planner, and the visibility map that lets a count or a deep page's key skip read
        # the index alone (an index-only scan); without it, every index entry is checked
        # against the table (about 3x the work).
        cursor.execute("VACUUM ANALYZE")
    return {**recipient(user, accounts, now), **resources(user, account, detail, count)}


def recipient(user: Any, accounts: list[Any], now: datetime) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwcrypto import jwk
    from oauth2_provider.models import AccessToken, Application

    from security import audit
    from security.consent.models import AccessTokenBinding, Arrangement
    from security.mtls import certificate_thumbprint
    from security.oauth.endpoints import issuer
    from security.oauth.models import ClientRegistration
    from security.oauth.tokens import refresh_token_issue
    from security.recipients.models import DataRecipient, SoftwareProduct

    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = jwk.JWK.from_pem(key_pem.encode())
    kid = f"bench-{secrets.token_hex(4)}"
    public_jwk = {**json.loads(public.export_public()), "kid": kid, "alg": "ES256", "use": "sig"}
    cert_pem, cert_der = certificate(key)
    thumbprint = certificate_thumbprint(cert_der)

    recipient = DataRecipient.objects.create(legal_entity_id=f"bench-{uuid.uuid4()}",
                                             legal_entity_name="Bench Recipient Pty Ltd")
    application = Application.objects.create(
        name="Bench Budget", client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI, algorithm="RS256", client_secret="",
        hash_client_secret=False)
    product = SoftwareProduct.objects.create(
        recipient=recipient, software_product_id=str(uuid.uuid4()), name="Bench Budget",
        client=application)
    ClientRegistration.objects.create(
        application=application, software_product=product, redirect_uris=[REDIRECT_URI],
        jwks_uri="https://recipient.bench.example/jwks", jwks={"keys": [public_jwk]},
        # The JWKS counts as fetched for an hour (client_jwks.JWKS_MAX_AGE): no fetch in a run.
        jwks_fetched_at=now, recipient_base_uri="https://recipient.bench.example", scope=SCOPE,
        grant_types=["authorization_code", "refresh_token"], request_object_signing_alg="ES256",
        metadata={"token_endpoint_auth_signing_alg": "ES256"})
    arrangement = Arrangement.objects.create(
        customer=user.customer, user=user, software_product=product, scope=SCOPE,
        sharing_expires_at=now + timedelta(days=30))
    arrangement.accounts.set(accounts)

    tokens = {}
    for name, bound in (("access_token", thumbprint), ("access_token_unbound", "")):
        raw = secrets.token_urlsafe(32)
        token = AccessToken(user=user, application=application, token="", scope=SCOPE,
                            expires=now + VALIDITY)
        token._raw_token = raw  # the token's save() stores its digest
        token.save()
        AccessTokenBinding.objects.create(access_token=token, arrangement=arrangement,
                                          certificate_thumbprint=bound)
        tokens[name] = raw
        if bound:
            refresh = refresh_token_issue(arrangement=arrangement, user=user, access_token=token,
                                          actor=audit.Actor.system("bench"))
    client_id = application.client_id
    request_object_claims = {
        "iss": client_id, "aud": issuer(), "nbf": int(now.timestamp()),
        "exp": int((now + VALIDITY).timestamp()), "iat": int(now.timestamp()),
        "jti": secrets.token_urlsafe(12), "client_id": client_id, "response_type": "code",
        "response_mode": "jwt", "redirect_uri": REDIRECT_URI, "scope": SCOPE,
        "state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16),
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "claims": {"sharing_duration": 7_776_000,
                   "id_token": {"acr": {"essential": True, "values": ["urn:cds.au:cdr:2"]}}},
    }
    return {
        **tokens,
        "refresh_token": refresh,
        "client_id": client_id,
        "client_key_pem": key_pem,
        "client_kid": kid,
        "client_cert_pem": cert_pem,
        "issuer": issuer(),
        "request_object": es256_sign(key_pem, kid, request_object_claims),
    }


def resources(user: Any, account: Any, detail: Any, count: int) -> dict[str, Any]:
    from security.consent.models import Arrangement
    from security.resource_ids import ResourceIds, ResourceKind

    arrangement = Arrangement.objects.filter(user=user).latest("created_at")
    ids = ResourceIds(customer_key=str(user.customer_id),
                      software_product_id=arrangement.software_product.software_product_id)
    from transactions.selectors import TEXT_SEARCH_MAX_ROWS

    # The widest window a `text` search may decrypt: the account's newest 30,000 rows.
    text_rows = min(count, TEXT_SEARCH_MAX_ROWS)
    oldest_text = (detail.account.transactions.order_by("-effective_date_time", "-id")
                   .values_list("effective_date_time", flat=True)[text_rows - 1])
    return {
        "account_id": ids.encode(ResourceKind.ACCOUNT, account.pk),
        "transaction_id": ids.encode(ResourceKind.TRANSACTION, detail.pk),
        "transactions": count,
        "text_rows": text_rows,
        "text_oldest_time": oldest_text.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def certificate(key: Any) -> tuple[str, bytes]:
    """A self-signed client certificate for `key` (what nginx would forward, verified)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench recipient")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            cert.public_bytes(serialization.Encoding.DER))


def es256_sign(key_pem: str, kid: str, claims: dict[str, Any]) -> str:
    """A compact JWS (ES256) of `claims`; bench/run.py signs the client assertions the same way."""
    import base64

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)  # noqa: S101 - ours
    signing_input = (b64(json.dumps({"alg": "ES256", "kid": kid, "typ": "JWT"}).encode()) + "."
                     + b64(json.dumps(claims).encode()))
    r, s = utils.decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


if __name__ == "__main__":
    main()
