"""OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414) and the JWKS.

CDS security/endpoints/_oidc_provider_configuration.md lists what a data holder MUST publish;
RFC 8705 §5 adds `mtls_endpoint_aliases`. Both documents are public (no mTLS, CORS open) and
cacheable for a short time so that key rotation is seen quickly.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from security import scopes
from security.oauth.endpoints import MTLS_ENDPOINTS, endpoint_url, issuer
from security.oauth.signing_keys import ALGORITHMS, public_jwks

ACR_VALUES = ("urn:cds.au:cdr:2", "urn:cds.au:cdr:3")
CLAIMS = ("sub", "acr", "auth_time", "name", "given_name", "family_name", "updated_at")
REGISTRATION_SCOPE = scopes.CDR_REGISTRATION


def openid_configuration() -> dict[str, object]:
    algs = sorted(ALGORITHMS)
    endpoints = {
        name: endpoint_url(name, mtls=name in MTLS_ENDPOINTS)
        for name in (
            "authorization_endpoint",
            "pushed_authorization_request_endpoint",
            "token_endpoint",
            "introspection_endpoint",
            "revocation_endpoint",
            "cdr_arrangement_revocation_endpoint",
            "userinfo_endpoint",
            "registration_endpoint",
            "jwks_uri",
        )
    }
    return {
        "issuer": issuer(),
        **endpoints,
        "mtls_endpoint_aliases": {name: endpoint_url(name, mtls=True) for name in MTLS_ENDPOINTS},
        "scopes_supported": sorted(
            {"openid", "profile", REGISTRATION_SCOPE, *scopes.CDR_DATA_SCOPES}
        ),
        "response_types_supported": ["code"],
        "response_modes_supported": ["jwt"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "acr_values_supported": list(ACR_VALUES),
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": algs,
        "request_object_signing_alg_values_supported": algs,
        "authorization_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "introspection_endpoint_auth_methods_supported": ["private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": algs,
        "revocation_endpoint_auth_methods_supported": ["private_key_jwt"],
        "revocation_endpoint_auth_signing_alg_values_supported": algs,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(CLAIMS),
        "claims_parameter_supported": True,
        "request_parameter_supported": True,
        "request_uri_parameter_supported": True,
        "require_request_uri_registration": False,
        "require_pushed_authorization_requests": True,
        "tls_client_certificate_bound_access_tokens": True,
        "authorization_response_iss_parameter_supported": True,
    }


def _public_json(body: Mapping[str, object]) -> JsonResponse:
    response = JsonResponse(dict(body))
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def openid_configuration_view(request: HttpRequest) -> JsonResponse:
    return _public_json(openid_configuration())


@require_GET
def jwks_view(request: HttpRequest) -> JsonResponse:
    return _public_json(public_jwks())
