"""Which listener a request came on, and which endpoints each listener serves (one table).

The bank has two front doors (CDS Security Profile, "Transport Layer"):

- **public** (TLS, never a client certificate): Get Products, discovery (status, outages),
  OpenID discovery and JWKS, the authorization endpoint and the consent pages;
- **mtls** (TLS with a client certificate from the trusted CA): every resource API, PAR,
  token, introspection, revocation, arrangement revocation, userinfo, registration (DCR),
  the CDR admin API and the staff console.

An endpoint answers on its own listener only; on the other it does not exist (404): a
recipient cannot reach the token endpoint without presenting a certificate, and a public
page is never offered where a certificate is demanded. Static files and health checks answer on
both.

BANK_LISTENER says which listener this process serves, so no request header ever decides it:

- "public" or "mtls": one process per listener, whether gunicorn terminates TLS itself
  (`python -m bank.serve`) or runs behind the bank's nginx (one gunicorn per nginx server
  block: deploy/); production refuses anything else;
- "all": one process serves everything (tests, `runserver`); dev and test only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

PUBLIC = "public"
MTLS = "mtls"
ALL = "all"
LISTENERS = (PUBLIC, MTLS, ALL)

#: Served only on the mTLS listener: these paths, and everything under these prefixes.
#: Anything not listed is public.
MTLS_PATHS = frozenset({"/par", "/token", "/introspect", "/revoke", "/arrangements/revoke",
                        "/userinfo", "/register"})
MTLS_PREFIXES = (
    "/cds-au/v1/banking/accounts",
    "/cds-au/v1/banking/payees",
    "/cds-au/v1/banking/payments",
    "/cds-au/v1/common/",
    "/cds-au/v1/admin/",
    "/register/",
    "/admin/",
    # Staff single sign-on, beside the admin it signs in to.
    "/staff-sso/",
)
#: Served on both listeners.
SHARED_PREFIXES = ("/static/", "/health/")


def listener_of(environ: dict[str, Any]) -> str:
    """The listener this process (so this request) serves: "public", "mtls" or "all"."""
    configured = settings.BANK_LISTENER
    if configured in LISTENERS:
        return str(configured)
    raise ValueError(f"BANK_LISTENER must be one of {LISTENERS}")


def listener_for_path(path: str) -> str | None:
    """The listener that serves `path`; None for paths served on both."""
    if path.startswith(SHARED_PREFIXES):
        return None
    return MTLS if path in MTLS_PATHS or path.startswith(MTLS_PREFIXES) else PUBLIC


def served_here(environ: dict[str, Any], path: str) -> bool:
    here = listener_of(environ)
    wanted = listener_for_path(path)
    return here == ALL or wanted is None or wanted == here
