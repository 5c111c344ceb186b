"""The authorization server's endpoints (security/oauth), described by hand.

They are plain Django views (each protocol module validates its own form or JWT), so
drf-spectacular cannot see them; hooks.py adds these path items. The CDR standard defines them
in prose (security profile) rather than OpenAPI, except DCR (cds_dcr.json), so the comparison
test does not compare them: what is written here follows the modules' docstrings and
SUMMARY.md's endpoint table. Request and response bodies are summarised (field names, types),
not every claim of every JWT.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

TAG = {"name": "Authorization server",
       "description": "OpenID Connect / OAuth 2.0 (FAPI 1.0 Advanced as profiled by the CDR): "
                      "discovery, keys, PAR, authorisation, tokens, revocation, DCR."}
OAUTH_ERROR = "BankOAuthError"
CLIENT_SCHEME = "cdrClientRegistrationToken"

COMPONENTS: Json = {
    "schemas": {
        OAUTH_ERROR: {
            "type": "object",
            "description": "An OAuth 2.0 error response (RFC 6749 §5.2).",
            "properties": {"error": {"type": "string"},
                           "error_description": {"type": "string"}},
            "required": ["error"],
        },
    },
    "securitySchemes": {
        CLIENT_SCHEME: {
            "type": "oauth2",
            "description": "A data recipient's client-credentials token with scope "
                           "`cdr:registration` (private_key_jwt, bound to its certificate).",
            "flows": {"clientCredentials": {"tokenUrl": "/token", "scopes": {
                "cdr:registration": "Read, update or delete the client's own registration"}}},
        },
    },
}

_PRIVATE_KEY_JWT = (
    "\n\nClient authentication: private_key_jwt (`client_assertion_type` = "
    "`urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, `client_assertion` signed with a "
    "key of the client's registered JWKS, PS256 or ES256), over mutual TLS."
)
_CLIENT_ASSERTION = {
    "client_id": {"type": "string"},
    "client_assertion_type": {"type": "string"},
    "client_assertion": {"type": "string", "description": "A signed JWT (RFC 7523)."},
}


def _form(properties: Json, required: list[str]) -> Json:
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "properties": properties, "required": required}}}}


def _json(description: str, schema: Json | None = None) -> Json:
    return {"description": description,
            "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def _oauth_error(description: str) -> Json:
    return _json(description, {"$ref": f"#/components/schemas/{OAUTH_ERROR}"})


def _operation(operation_id: str, summary: str, description: str, responses: Json,
               **extra: Any) -> Json:
    return {"operationId": operation_id, "summary": summary, "description": description,
            "tags": [TAG["name"]], "responses": responses, **extra}


_CLIENT_ID = [{"name": "clientId", "in": "path", "required": True, "schema": {"type": "string"}}]


_CLIENT_ERRORS = {"400": _oauth_error("Invalid request (RFC 6749 §5.2)."),
                  "401": _oauth_error("Client authentication failed (`invalid_client`)."),
                  "429": _oauth_error("Rate limit exceeded; see `Retry-After`.")}

#: path -> (listener, path item without servers)
PATHS: dict[str, tuple[str, Json]] = {
    "/.well-known/openid-configuration": ("public", {"get": _operation(
        "getOpenIdConfiguration", "OpenID Provider Metadata",
        "OpenID Connect Discovery 1.0 §4 and RFC 8414: the issuer, every endpoint below, the "
        "supported algorithms, scopes and claims. Cacheable for five minutes.",
        {"200": _json("The provider metadata.")})}),
    "/jwks": ("public", {"get": _operation(
        "getJwks", "JSON Web Key Set",
        "The bank's public signing keys (ID tokens, JARM responses): active and recently "
        "rotated ones. Cacheable for five minutes.",
        {"200": _json("A JWK Set (RFC 7517 §5).", {"type": "object", "properties": {
            "keys": {"type": "array", "items": {"type": "object"}}}, "required": ["keys"]})})}),
    "/authorize": ("public", {"get": _operation(
        "authorize", "Authorization endpoint",
        "Only a `request_uri` from `/par` is accepted (FAPI 1.0 Advanced, CDS), with "
        "`client_id`. The customer is sent to the consent pages; the result goes back to the "
        "recipient's redirect URI as a signed JARM response (`response=`).",
        {"302": {"description": "To the consent pages, or to the recipient with a JARM error."},
         "400": {"description": "An HTML page: the request cannot be redirected safely."}},
        parameters=[
            {"name": "client_id", "in": "query", "required": True, "schema": {"type": "string"}},
            {"name": "request_uri", "in": "query", "required": True,
             "schema": {"type": "string"}},
        ])}),
    "/par": ("mtls", {"post": _operation(
        "pushAuthorizationRequest", "Pushed authorization request (RFC 9126)",
        "The signed request object (`request`, RFC 9101) with PKCE S256, the scopes, "
        "`sharing_duration` and the redirect URI." + _PRIVATE_KEY_JWT,
        {"201": _json("The request URI to send the customer to `/authorize` with.", {
            "type": "object", "required": ["request_uri", "expires_in"],
            "properties": {"request_uri": {"type": "string"},
                           "expires_in": {"type": "integer"}}}), **_CLIENT_ERRORS},
        requestBody=_form({**_CLIENT_ASSERTION, "request": {"type": "string"}},
                          ["client_assertion_type", "client_assertion", "request"]))}),
    "/token": ("mtls", {"post": _operation(
        "token", "Token endpoint",
        "Grants: `authorization_code` (with the PKCE `code_verifier`), `refresh_token`, "
        "`client_credentials` (the Register, and DCR management). Access tokens are bound "
        "to the client certificate (RFC 8705) and live 10 minutes; refresh tokens are not "
        "rotated (CDS) and live as long as the arrangement." + _PRIVATE_KEY_JWT,
        {"200": _json("The token response (RFC 6749 §5.1), with `cdr_arrangement_id`."),
         **_CLIENT_ERRORS},
        requestBody=_form({**_CLIENT_ASSERTION, "grant_type": {"type": "string", "enum": [
            "authorization_code", "refresh_token", "client_credentials"]},
            "code": {"type": "string"}, "code_verifier": {"type": "string"},
            "redirect_uri": {"type": "string"}, "refresh_token": {"type": "string"},
            "scope": {"type": "string"}},
            ["grant_type", "client_assertion_type", "client_assertion"]))}),
    "/introspect": ("mtls", {"post": _operation(
        "introspect", "Token introspection (RFC 7662)",
        "Refresh tokens only (CDS): `active`, `exp`, `scope`, `cdr_arrangement_id`."
        + _PRIVATE_KEY_JWT,
        {"200": _json("The introspection response."), **_CLIENT_ERRORS},
        requestBody=_form({**_CLIENT_ASSERTION, "token": {"type": "string"},
                           "token_type_hint": {"type": "string"}},
                          ["token", "client_assertion_type", "client_assertion"]))}),
    "/revoke": ("mtls", {"post": _operation(
        "revoke", "Token revocation (RFC 7009)",
        "Access and refresh tokens." + _PRIVATE_KEY_JWT,
        {"200": {"description": "Revoked (or unknown: RFC 7009 §2.2)."}, **_CLIENT_ERRORS},
        requestBody=_form({**_CLIENT_ASSERTION, "token": {"type": "string"},
                           "token_type_hint": {"type": "string"}},
                          ["token", "client_assertion_type", "client_assertion"]))}),
    "/arrangements/revoke": ("mtls", {"post": _operation(
        "revokeArrangement", "CDR arrangement revocation",
        "Ends a consent arrangement and every token issued under it (CDS security profile)."
        + _PRIVATE_KEY_JWT,
        {"204": {"description": "Revoked."},
         "422": _json("`urn:au-cds:error:cds-all:Authorisation/InvalidArrangement`.",
                      {"$ref": "#/components/schemas/ResponseErrorListV2"}),
         **_CLIENT_ERRORS},
        requestBody=_form({**_CLIENT_ASSERTION, "cdr_arrangement_id": {"type": "string"}},
                          ["cdr_arrangement_id", "client_assertion_type", "client_assertion"]))}),
    "/userinfo": ("mtls", {
        method: _operation(
            f"userinfo{method.title()}", "UserInfo (OpenID Connect Core §5.3)",
            "The customer's claims the arrangement allows, for a certificate-bound access "
            "token with scope `openid`.",
            {"200": _json("The claims."), "401": {"description": "No or bad token."}},
            security=[{"cdrCustomerToken": ["openid"]}])
        for method in ("get", "post")}),
    "/register": ("mtls", {"post": _operation(
        "registerClient", "Dynamic client registration (RFC 7591, CDS DCR)",
        "The body is a signed registration request JWT (`application/jwt`) carrying the "
        "software statement (SSA) the CDR Register issued; the SSA is the credential.",
        {"201": _json("The registration."), "400": _json("An RFC 7591 error.")},
        requestBody={"required": True, "content": {"application/jwt": {"schema": {
            "type": "string"}}}})}),
    "/register/{clientId}": ("mtls", {
        "get": _operation("getClientRegistration", "Get a client registration",
                          "The client's own registration.",
                          {"200": _json("The registration."),
                           "401": {"description": "No or bad token."},
                           "403": {"description": "Another client's registration."}},
                          security=[{CLIENT_SCHEME: ["cdr:registration"]}], parameters=_CLIENT_ID),
        "put": _operation("updateClientRegistration", "Update a client registration",
                          "A new registration request JWT (`application/jwt`) with a fresh SSA.",
                          {"200": _json("The registration."), "400": _json("An RFC 7591 error."),
                           "401": {"description": "No or bad token."},
                           "403": {"description": "Another client's registration."}},
                          security=[{CLIENT_SCHEME: ["cdr:registration"]}], parameters=_CLIENT_ID,
                          requestBody={"required": True, "content": {"application/jwt": {
                              "schema": {"type": "string"}}}}),
        "delete": _operation("deleteClientRegistration", "Delete a client registration",
                             "Ends the client's registration and its arrangements.",
                             {"204": {"description": "Deleted."},
                              "401": {"description": "No or bad token."},
                              "403": {"description": "Another client's registration."}},
                             security=[{CLIENT_SCHEME: ["cdr:registration"]}],
                             parameters=_CLIENT_ID),
    }),
}
