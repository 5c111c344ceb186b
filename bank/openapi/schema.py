"""How drf-spectacular describes one CDR operation: the bank's facts on the standard's shapes.

From the bank's code (what the view really does):

- that the path and method exist (the URLconf and the view's handlers);
- the versions served (`versions` / `method_versions`): `x-version` (the newest) and
  `x-supported-versions`, also spelled out in the `x-v` parameter's description;
- the query parameters accepted (`query_params` / `method_query_params`, plus `page` and
  `page-size` when `paginated`): exactly those, no more;
- the headers: `x-v`, `x-min-v` and `x-fapi-interaction-id` on every call (BaseCdrApi,
  security/middleware.py); `x-fapi-auth-date`, `x-fapi-customer-ip-address` and
  `x-cds-client-headers` where the customer's token is read (CdrTokenAuthentication,
  security/fapi_headers.py);
- the security: none, the customer's certificate-bound token with the view's
  `required_scopes`, or the Register's client-credentials token with its admin scope;
- the error statuses the bank adds to the standard's list: 401/403 where a token is needed,
  429 everywhere (rate limits), 415 on a POST (Content-Type).

From the standard (the official operation at the same path and method, bank/openapi/cdr_spec):
operationId, summary, description, tags, the schemas and descriptions of the parameters, the
request body, the response bodies and the error list. Anything the code has that the standard
does not (a path, a query parameter) is a drf-spectacular error, so `manage.py spectacular
--validate --fail-on-warn` fails.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.drainage import error
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry

from bank.api.pagination import CdrPagination
from bank.api.views import BaseCdrApi
from bank.openapi import official
from security.authentication import CdrTokenAuthentication

Json = dict[str, Any]

#: Request headers, in the order the standard lists them.
VERSION_HEADERS = ("x-v", "x-min-v")
INTERACTION_HEADER = "x-fapi-interaction-id"
FAPI_HEADERS = ("x-fapi-auth-date", "x-fapi-customer-ip-address", "x-cds-client-headers")
#: Header parameters of the banking file, for operations whose official list lacks one.
_HEADER_COMPONENTS = {
    "x-v": "HeaderXV",
    "x-min-v": "HeaderXMinV",
    "x-fapi-interaction-id": "HeaderXFAPIInteractionId",
    "x-fapi-auth-date": "HeaderXFAPIAuthDate",
    "x-fapi-customer-ip-address": "HeaderXFAPICustomerIPAddress",
    "x-cds-client-headers": "HeaderXCDSClientHeaders",
}

ERROR_SCHEMA = {"$ref": "#/components/schemas/ResponseErrorListV2"}
_INTERACTION_ID_HEADER = {"$ref": "#/components/headers/XFAPIInteractionId"}
_ALL = "urn:au-cds:error:cds-all:"
#: The statuses the bank answers beyond the standard's list for an operation (bank/api/errors.py).
BANK_ERRORS = {
    "401": ("No, unknown, expired or revoked access token, or a token bound to another client "
            "certificate: `WWW-Authenticate: Bearer` challenge (RFC 6750), "
            f"`{_ALL}GeneralError/Expected`."),
    "403": ("The token's arrangement or software product does not allow this call: "
            f"`{_ALL}Authorisation/InvalidConsent` (scope missing), "
            f"`{_ALL}Authorisation/RevokedConsent`, `{_ALL}Authorisation/AdrStatusNotActive`."),
    "415": f"The body is not `application/json`: `{_ALL}GeneralError/Expected`.",
    "429": ("A rate limit of the bank is exceeded (per client, customer, session, endpoint or "
            f"operation): `Retry-After` says when to try again; `{_ALL}GeneralError/Expected`."),
}
_BANK_ERROR_HEADERS = {
    "401": {"WWW-Authenticate": {"description": "The RFC 6750 bearer challenge.",
                                 "schema": {"type": "string"}}},
    "429": {"Retry-After": {"description": "Seconds to wait before the next call.",
                            "schema": {"type": "string"}}},
}

_PATH_VARIABLE = re.compile(r"\{(\w+)\}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def official_path(path: str) -> str:
    """The bank's route as the standard spells it: {account_id} -> {accountId}."""
    return _PATH_VARIABLE.sub(lambda m: "{" + _camel(m.group(1)) + "}", path)


class CdrSchemaGenerator(SchemaGenerator):
    """drf-spectacular's generator, told that the bank's versioning is not a URL or Accept
    scheme it knows: versions are described per operation (`x-v`) by CdrAutoSchema instead."""

    def create_view(self, callback: Any, method: str, request: Any = None) -> Any:
        view = super().create_view(callback, method, request)
        if isinstance(view, BaseCdrApi):
            view.versioning_class = None
        return view


class CdrAutoSchema(AutoSchema):
    """One CDR operation: see the module docstring for what comes from where."""

    # drf-spectacular entry point ---------------------------------------------------------
    def get_operation(self, path: str, path_regex: str, path_prefix: str, method: str,
                      registry: ComponentRegistry) -> Json | None:
        self.registry = registry
        self.path, self.path_regex, self.path_prefix = path, path_regex, path_prefix
        self.method = method.upper()
        if self.is_excluded():
            return None
        if not isinstance(self.view, BaseCdrApi):
            error(f"{type(self.view).__name__} is not a CDR endpoint (BaseCdrApi): "
                  "describe it by hand in bank/openapi/hooks.py")
            return None
        standard = official.operation(official_path(path), method)
        if standard is None:
            error(f"{self.method} {path}: no such operation in CDS 1.36.0 (bank/openapi/cdr_spec)")
            return None
        operation: Json = {
            "operationId": standard["operationId"],
            "summary": standard.get("summary", ""),
            "description": self._description(standard),
            "tags": standard.get("tags", []),
            "parameters": self._parameters(standard),
        }
        if "requestBody" in standard:
            operation["requestBody"] = standard["requestBody"]
        security = self.get_auth()
        if security:
            operation["security"] = security
        operation["responses"] = self._responses(standard)
        operation.update(self._extensions(standard))
        return operation

    # Facts of the view -------------------------------------------------------------------
    @property
    def cdr_view(self) -> BaseCdrApi:
        assert isinstance(self.view, BaseCdrApi)  # noqa: S101 - checked by get_operation
        return self.view

    def versions(self) -> tuple[int, ...]:
        view = self.cdr_view
        return tuple(view.method_versions.get(self.method, view.versions))

    def query_parameters(self) -> frozenset[str]:
        view = self.cdr_view
        own = view.method_query_params.get(self.method, view.query_params)
        return own | (CdrPagination.params if view.paginated else frozenset())

    def reads_customer_token(self) -> bool:
        return any(type(a) is CdrTokenAuthentication for a in self.view.get_authenticators())

    def needs_token(self) -> bool:
        return bool(self.view.get_authenticators())

    def required_scopes(self) -> list[str]:
        return list(getattr(self.view, "required_scopes", ()))

    # Pieces of the operation ---------------------------------------------------------------
    def _description(self, standard: Json) -> str:
        versions = self.versions()
        served = ", ".join(f"v{v}" for v in versions)
        text = standard.get("description", "")
        return (f"{text}\n\n**This bank serves {served}** (the highest version in "
                f"[`x-min-v`, `x-v`] is answered and named in the `x-v` response header).")

    def _parameters(self, standard: Json) -> list[Json]:
        listed = {(p["name"], p["in"]): p
                  for p in map(official.resolve_parameter, standard.get("parameters", []))}
        parameters: list[Json] = []
        for variable in _PATH_VARIABLE.findall(self.path):
            name = _camel(variable)
            found = listed.get((name, "path"))
            if found is None:
                error(f"{self.method} {self.path}: path parameter {name} is not in the standard")
                continue
            parameters.append(found)
        accepted = self.query_parameters()
        for (name, where), found in listed.items():
            if where == "query" and name in accepted:
                parameters.append(found)
        for name in sorted(accepted - {n for n, w in listed if w == "query"}):
            error(f"{self.method} {self.path}: query parameter {name} is not in the standard")
        headers = [*VERSION_HEADERS, INTERACTION_HEADER]
        if self.reads_customer_token():
            headers.extend(FAPI_HEADERS)
        for name in headers:
            found = listed.get((name, "header"))
            if found is None:
                found = official.resolve_parameter(
                    {"$ref": f"#/components/parameters/{_HEADER_COMPONENTS[name]}"})
            if name == "x-v":
                found = {**found, "description": found.get("description", "")
                         + f"\n\nThis bank serves: {', '.join(map(str, self.versions()))}."}
            parameters.append(found)
        return parameters

    def get_auth(self) -> list[Json]:
        security = super().get_auth()
        scopes = self.required_scopes()
        # One requirement per authenticator, naming the view's scopes (OAuth2 scopes).
        return [{name: scopes for name in requirement} for requirement in security
                if requirement]

    def _responses(self, standard: Json) -> Json:
        responses: Json = {}
        for status, response in standard["responses"].items():
            headers = response.setdefault("headers", {})
            # Every answer of the bank carries the interaction id (security/middleware.py).
            headers.setdefault("x-fapi-interaction-id", _INTERACTION_ID_HEADER)
            responses[status] = response
        extra = ["429"]
        if self.needs_token():
            extra[:0] = ["401", "403"]
        if self.method == "POST":
            extra.append("415")
        for status in extra:
            if status in responses:
                continue
            responses[status] = {
                "description": BANK_ERRORS[status],
                "content": {"application/json": {"schema": ERROR_SCHEMA}},
                "headers": {"x-fapi-interaction-id": _INTERACTION_ID_HEADER,
                            **_BANK_ERROR_HEADERS.get(status, {})},
            }
        return dict(sorted(responses.items()))

    def _extensions(self, standard: Json) -> Json:
        versions = self.versions()
        extensions: Json = {
            "x-version": str(max(versions)),
            "x-supported-versions": [str(v) for v in versions],
        }
        if self.needs_token():
            extensions["x-scopes"] = self.required_scopes()
        if "x-restricted-access" in standard:
            extensions["x-restricted-access"] = standard["x-restricted-access"]
        return extensions
