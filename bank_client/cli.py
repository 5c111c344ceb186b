"""`bank-client`: a CDR data recipient for the demo bank, from the command line.

    bank-client enrol                 # keys, certificate, mock Register, SSA, DCR (once)
    bank-client login [--headless]    # PAR + PKCE, consent in the browser, JARM, token (mTLS)
    bank-client accounts              # and balances, transactions ACCOUNT --since 30d, payees,
                                      # direct-debits, scheduled-payments, customer, ...
    bank-client revoke                # end the arrangement at the bank

Also `python -m bank_client`. Run it in the bank's checkout while `make demo` runs. Tables by
default, the bank's own JSON with --json; errors show the bank's CDR error codes and the
call's x-fapi-interaction-id. Nothing secret is printed (tokens stay in the encrypted vault)
except by `credentials`, which exists to hand them to another tool.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import queue
import re
import secrets
import sys
import time
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from jwcrypto import jws

from bank_client import output
from bank_client.api import VERSIONS, Bank, BankError, NotLoggedIn, errors_of
from bank_client.config import (
    ClientConfig,
    ClientHome,
    HomeError,
    default_bank_home,
    default_home,
)
from bank_client.demo_customer import ConsentError, DemoCustomer
from bank_client.enrolment import (
    FULL_SCOPE,
    BankTools,
    EnrolmentError,
    keys_create,
    load_signing_key,
    register_product,
    register_with_bank,
)
from bank_client.listener import Listener
from bank_client.recipient import Recipient
from bank_client.vault import VaultError, capture_passphrase

JSON = dict[str, Any]
DEFAULT_LISTEN = "127.0.0.1:8450"


class ClientError(Exception):
    """Something the user can fix; the message says what."""


# -- the pieces every command needs ---------------------------------------------------------
class Context:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.bank_home = Path(options.bank_home).resolve() if options.bank_home \
            else default_bank_home()
        self.home = ClientHome(Path(options.home) if options.home else default_home(self.bank_home))
        self._config: ClientConfig | None = None
        self._recipient: Recipient | None = None
        self._seen_jtis: set[str] = set()

    @property
    def config(self) -> ClientConfig:
        if self._config is None:
            try:
                self._config = self.home.load()
            except LookupError as exc:
                raise ClientError(str(exc)) from None
        return self._config

    @property
    def recipient(self) -> Recipient:
        if self._recipient is None:
            config = self.config
            self._recipient = Recipient(
                config.bank_url, ca_bundle=str(self.home.ca), cert=self.home.tls_pair,
                redirect_uri=config.redirect_uri, resource_url=config.mtls_url,
                key=load_signing_key(self.home, kid=config.kid))
            self._recipient.client_id = config.client_id
        return self._recipient

    def bank(self, progress: Callable[[str], None] | None = None) -> Bank:
        return Bank(self.config, self.home, self.recipient, self.home.vault(self.config),
                    progress=progress)

    @contextmanager
    def listening(self, *, required: bool = False) -> Iterator[Listener | None]:
        """The client's endpoints (JWKS, callback, revocation) while the command runs. When
        the port is taken (another bank-client running), calls that need no callback go on:
        the bank keeps the client's JWKS for up to an hour."""
        listener = Listener(self.config.listen, public_jwks=self.public_jwks(),
                            on_revocation=self.revocation_notice)
        try:
            listener.__enter__()
        except OSError as exc:
            if required:
                raise ClientError(f"Cannot listen on {self.config.listen} ({exc.strerror}): "
                                  "is another bank-client running?") from None
            output.err.print(f"note: {self.config.listen} is busy; going on without the "
                             "client's own endpoints", markup=False)
            yield None
            return
        try:
            yield listener
        finally:
            listener.__exit__()

    def public_jwks(self) -> JSON:
        return {"keys": [json.loads(self.recipient.key.export_public())]}

    def revocation_notice(self, form: dict[str, str], authorization: str) -> int:
        """The bank says the customer withdrew consent (CDS "CDR Arrangement Revocation",
        recipient-hosted). Believed only when both JWTs are the bank's own for this endpoint:
        the bearer (self-signed client authentication) and `cdr_arrangement_jwt`, each
        iss = sub = the bank, unexpired, never seen before (jti); then the arrangement's tokens
        are forgotten."""
        audience = f"http://{self.config.listen}/arrangements/revoke"
        scheme, _, bearer = authorization.partition(" ")
        try:
            notices = [self.recipient.bank_jwt(jwt, what="revocation notice", audience=audience)
                       for jwt in (bearer if scheme.lower() == "bearer" else "",
                                   form.get("cdr_arrangement_jwt", ""))]
        except (AssertionError, ValueError, KeyError, jws.InvalidJWSSignature,
                jws.InvalidJWSObject, requests.RequestException):
            return 401
        jtis = [notice.get("jti") for notice in notices]
        if any(n.get("sub") != n.get("iss") for n in notices) or \
                any(not isinstance(j, str) or j in self._seen_jtis for j in jtis):
            return 401
        self._seen_jtis.update(str(j) for j in jtis)
        vault = self.home.vault(self.config)
        tokens = vault.load() or {}
        if tokens.get("cdr_arrangement_id") == notices[1].get("cdr_arrangement_id"):
            vault.clear()
        return 204


# -- enrol ------------------------------------------------------------------------------------
def cmd_enrol(ctx: Context) -> None:
    options = ctx.options
    if ctx.home.enrolled() and not options.force:
        config = ctx.home.load()
        output.err.print(f"Already enrolled as {config.client_id} with {config.bank_url} "
                         f"({ctx.home.root}); --force enrols a new client.")
        return
    host, _, port = options.listen.rpartition(":")
    try:
        loopback = ipaddress.ip_address(host).is_loopback and port.isdigit()
    except ValueError:
        loopback = False
    if not loopback:
        raise ClientError(f"--listen {options.listen}: a loopback address and port, such as "
                          f"{DEFAULT_LISTEN} (the client's endpoints are for this machine only)")
    tools = BankTools(ctx.bank_home)
    pki_dir = Path(options.pki_dir) if options.pki_dir else ctx.bank_home / "var" / "pki"
    if not (pki_dir / "ca" / "ca.pem").is_file():
        raise ClientError(f"No demo PKI in {pki_dir}: start the bank with `make demo` first.")
    config = ClientConfig(
        bank_url=options.bank.rstrip("/"), mtls_url=options.mtls.rstrip("/"),
        redirect_uri=f"http://{options.listen}/callback", listen=options.listen,
        client_name=options.name, scope=FULL_SCOPE)
    ctx.home.vault(config).clear()
    with output.progress("Making keys; the demo CA certifies the TLS key from its CSR"):
        signing_key = keys_create(ctx.home, product=options.name, brand=options.brand,
                                  tools=tools, pki_dir=pki_dir)
    config.kid = str(signing_key.get("kid"))
    with output.progress("Listing the software product on the mock CDR Register"):
        register_product(config, tools, brand=options.brand)
    ctx._config = config
    with ctx.listening(required=True), output.progress(
            "Fetching the SSA and registering with the bank (DCR)"):
        register_with_bank(config, ctx.recipient)
    ctx.home.save(config)
    summary = {"client_id": config.client_id, "software_product_id": config.software_product_id,
               "brand_id": config.brand_id, "redirect_uri": config.redirect_uri,
               "home": str(ctx.home.root)}
    if options.json:
        output.as_json(summary)
        return
    output.fields(summary, title="Enrolled: registered with the bank")
    output.out.print("Next: bank-client login")


# -- login --------------------------------------------------------------------------------------
_DURATION = re.compile(r"\A(\d+)([smhdw]?)\Z")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_duration(text: str) -> int:
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: a duration like 90d, 12h, 2w or 0")
    return int(match[1]) * _UNITS[match[2]]


def _demo_password(credentials: Path, username: str) -> str:
    try:
        logins = json.loads(credentials.read_text())["logins"]
    except (OSError, ValueError, KeyError):
        raise ClientError(f"No demo logins in {credentials}: is this the demo bank's "
                          "checkout (make demo writes it)? Or pass --credentials.") from None
    for login in logins:
        if login.get("username") == username:
            return str(login["password"])
    raise ClientError(f"No demo customer {username!r} in {credentials}.")


def cmd_login(ctx: Context) -> None:
    options, config = ctx.options, ctx.config
    bank = ctx.bank()
    recipient = ctx.recipient
    arrangement = None
    if options.amend:
        arrangement = bank.tokens.get("cdr_arrangement_id")
    nonce = secrets.token_urlsafe(24)
    with ctx.listening(required=True) as listener:
        if listener is None:  # required=True raises instead; this tells the type checker
            raise ClientError(f"Cannot listen on {config.listen}")
        with output.progress("Pushing the authorization request (PAR, PKCE S256)"):
            request_uri, verifier, state = recipient.par(
                scope=options.scope or config.scope, sharing_duration=options.duration,
                nonce=nonce, cdr_arrangement_id=arrangement)
        authorize_url = recipient.authorize_url(request_uri)
        if options.headless:
            customer = options.customer
            credentials = Path(options.credentials) if options.credentials \
                else ctx.bank_home / "var" / "demo-credentials.json"
            outbox = Path(options.outbox or os.environ.get("BANK_OTP_OUTBOX_DIR")
                          or ctx.bank_home / "var" / "outbox")
            with output.progress(f"Consent pages as {customer} (password, emailed code, "
                                 "accounts, authorise)"):
                driver = DemoCustomer(config.bank_url, ca_bundle=str(ctx.home.ca),
                                      outbox=outbox, username=customer,
                                      password=_demo_password(credentials, customer))
                redirect = driver.consent(authorize_url, redirect_uri=config.redirect_uri)
                # Deliver it as the browser would: to the client's own redirect listener.
                requests.get(redirect, timeout=10)
        else:
            output.err.print("Opening the bank's consent page in your browser. If none "
                             f"opens, visit:\n{authorize_url}")
            webbrowser.open(authorize_url)
        with output.progress(f"Waiting for the bank's answer at {config.redirect_uri}"):
            claims = _first_valid_answer(listener, recipient, config, state=state,
                                         timeout=options.timeout)
    if "error" in claims:
        raise ClientError(f"The bank answered {claims['error']}: "
                          f"{claims.get('error_description', '')}")
    with ctx.listening(), output.progress("Exchanging the code (mTLS, private_key_jwt)"):
        token = recipient.token(code=claims["code"], code_verifier=verifier)
    id_claims = recipient.id_token_claims(token["id_token"], nonce=nonce)
    tokens = bank.store(token, auth_time=id_claims.get("auth_time"))
    summary = {"cdr_arrangement_id": tokens["cdr_arrangement_id"], "scope": tokens["scope"],
               "access_token_expires": _when(tokens["expires_at"]),
               "refresh_token": "kept (encrypted)" if tokens["refresh_token"]
               else "none (once-off consent)"}
    if options.json:
        output.as_json(summary)
        return
    output.fields(summary, title="Authorised: tokens saved encrypted in " + str(ctx.home.root))
    output.out.print("Try: bank-client accounts")


def _first_valid_answer(listener: Listener, recipient: Recipient, config: ClientConfig, *,
                        state: str, timeout: float) -> JSON:
    """The claims of the first request to the redirect URI that is the bank's answer to this
    login (signed by the bank, for us, with our state). Others are ignored: anything on this
    machine can send requests to a loopback port."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            callback = listener.wait_for_callback(max(left, 0.01))
        except queue.Empty:
            raise ClientError(f"No answer from the consent pages within {timeout:g} s; run "
                              "`bank-client login` again.") from None
        try:
            return recipient.jarm(f"http://{config.listen}{callback}", state=state)
        except (AssertionError, ValueError, jws.InvalidJWSObject, jws.InvalidJWSSignature):
            output.err.print("note: ignored a request to the redirect URI that is not the "
                             "bank's answer to this login", markup=False)


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# -- status, refresh, revoke, credentials -------------------------------------------------------
def cmd_status(ctx: Context) -> None:
    config = ctx.config
    state: JSON = {"home": str(ctx.home.root), "bank": config.bank_url, "mtls": config.mtls_url,
                   "client_id": config.client_id,
                   "software_product_id": config.software_product_id}
    tokens = ctx.home.vault(config).load()
    if tokens:
        left = int(tokens["expires_at"] - time.time())
        state.update({
            "cdr_arrangement_id": tokens["cdr_arrangement_id"], "scope": tokens["scope"],
            "access_token": f"valid for {left} s" if left > 0 else "expired (refreshed on use)",
            "refresh_token": "kept" if tokens.get("refresh_token") else "none"})
    else:
        state["tokens"] = "none: run bank-client login"
    if ctx.options.json:
        output.as_json(state)
    else:
        output.fields(state, title="bank-client")


def cmd_refresh(ctx: Context) -> None:
    bank = ctx.bank()
    with ctx.listening(), output.progress("Refreshing the access token"):
        tokens = bank.refresh()
    if ctx.options.json:
        output.as_json({"access_token_expires": _when(tokens["expires_at"])})
    else:
        output.out.print(f"New access token, valid until {_when(tokens['expires_at'])}.")


def cmd_revoke(ctx: Context) -> None:
    bank = ctx.bank()
    arrangement = bank.tokens["cdr_arrangement_id"]
    with ctx.listening(), output.progress("Revoking the arrangement at the bank"):
        response = ctx.recipient.client_post("cdr_arrangement_revocation_endpoint",
                                             {"cdr_arrangement_id": arrangement})
    if response.status_code != 204:
        raise BankError(response.status_code, errors_of(response),
                        response.headers.get("x-fapi-interaction-id", ""),
                        what="POST /arrangements/revoke")
    bank.vault.clear()
    if ctx.options.json:
        output.as_json({"revoked": arrangement})
    else:
        output.out.print(f"Arrangement {arrangement} revoked; its tokens are gone.")


def cmd_credentials(ctx: Context) -> None:
    """What an API tool needs to act as this client (the Bruno collection's environment)."""
    config = ctx.config
    bank = ctx.bank()
    with ctx.listening():
        access_token = bank.access_token()
    values = {"bank_url": config.bank_url, "mtls_url": config.mtls_url,
              "mtls_host": urlsplit(config.mtls_url).netloc,
              "client_id": config.client_id, "signing_key_file": str(ctx.home.signing_key),
              "signing_key_kid": config.kid, "client_cert_file": str(ctx.home.tls_cert),
              "client_key_file": str(ctx.home.tls_key), "ca_file": str(ctx.home.ca),
              "redirect_uri": config.redirect_uri, "access_token": access_token,
              "cdr_arrangement_id": bank.tokens["cdr_arrangement_id"]}
    if ctx.options.bruno:
        for key, value in values.items():
            sys.stdout.write(f"--env-var {key}={value}\n")
    else:
        output.as_json(values)


# -- the CDR APIs -------------------------------------------------------------------------------
def _resolve_account(bank: Bank, ref: str) -> str:
    """An account ID from an ID, a display name or nickname, or an unambiguous ID prefix; an
    unknown reference goes to the bank as it is (its answer says why it is refused)."""
    accounts, _ = bank.get_all("banking/accounts", version=VERSIONS["accounts"], key="accounts")
    lowered = ref.strip().lower()
    for account in accounts:
        if ref == account["accountId"]:
            return ref
    named = [a for a in accounts if lowered in {str(a.get("displayName", "")).lower(),
                                                 str(a.get("nickname", "")).lower()}]
    if len(named) == 1:
        return str(named[0]["accountId"])
    prefixed = [a for a in accounts if len(ref) >= 4 and a["accountId"].startswith(ref)]
    if len(prefixed) == 1:
        return str(prefixed[0]["accountId"])
    if len(named) > 1 or len(prefixed) > 1:
        raise ClientError(f"{ref!r} matches more than one account: use its account ID.")
    return ref


def _since(text: str) -> str:
    """`30d`, `12h`, `2w` ago, or a date/time, as the CDR's ISO 8601 date-time."""
    try:
        moment = datetime.now(UTC) - timedelta(seconds=parse_duration(text))
    except argparse.ArgumentTypeError:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ClientError(f"{text!r}: give a duration (30d, 12h, 2w) or a date "
                              "(2026-11-01)") from None
        moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _show(ctx: Context, kind: str, items: list[JSON], body: JSON, *, title: str) -> None:
    if ctx.options.json:
        output.as_json({**body, "data": {**body["data"], _json_key(kind, body): items}})
    else:
        output.table(kind, items, title=title)


def _json_key(kind: str, body: JSON) -> str:
    return kind if kind in body["data"] else next(iter(body["data"]))


def _list(ctx: Context, path: str, version_of: str, key: str, *, title: str,
          params: JSON | None = None, public: bool = False, body: JSON | None = None) -> None:
    limit = None if ctx.options.all else ctx.options.limit
    method = "POST" if body is not None else "GET"
    with ctx.listening(), output.progress(f"{method} {path}") as update:
        bank = ctx.bank(update)
        query = {**(params or {}), "page-size": str(min(limit or 1000, 1000))}
        items, page = bank.get_all(path, version=VERSIONS[version_of], key=key, params=query,
                                   limit=limit, public=public, body=body)
    _show(ctx, key, items, page, title=title)


def _one(ctx: Context, path: str, version_of: str, *, title: str, public: bool = False) -> None:
    with ctx.listening(), output.progress(f"GET {path}"):
        body = ctx.bank().get(path, version=VERSIONS[version_of], public=public)
    if ctx.options.json:
        output.as_json(body)
    else:
        output.fields(body["data"], title=title)


def _with_account(ctx: Context) -> str | None:
    ref = getattr(ctx.options, "account", None)
    if not ref:
        return None
    with ctx.listening(), output.progress("Finding the account"):
        return _resolve_account(ctx.bank(), ref)


def _with_accounts(ctx: Context) -> list[str]:
    refs: list[str] = ctx.options.accounts or []
    if not refs:
        return []
    with ctx.listening(), output.progress("Finding the accounts"):
        bank = ctx.bank()
        return [_resolve_account(bank, ref) for ref in refs]


def _per_account(ctx: Context, *, bulk: tuple[str, str], one: tuple[str, str],
                 several: tuple[str, str], key: str, title: str) -> None:
    """The three forms of a CDR list: every account (GET bulk), one account (GET under it),
    or several (POST with their IDs). Each tuple is (path, the VERSIONS key); one's path has
    an `{account}` placeholder."""
    accounts = _with_accounts(ctx)
    if not accounts:
        _list(ctx, bulk[0], bulk[1], key, title=title)
    elif len(accounts) == 1:
        _list(ctx, one[0].format(account=accounts[0]), one[1], key, title=title)
    else:
        _list(ctx, several[0], several[1], key, title=title,
              body={"data": {"accountIds": accounts}})


def cmd_accounts(ctx: Context) -> None:
    _list(ctx, "banking/accounts", "accounts", "accounts", title="Accounts")


def cmd_account(ctx: Context) -> None:
    account = _with_account(ctx)
    _one(ctx, f"banking/accounts/{account}", "account", title="Account")


def cmd_balances(ctx: Context) -> None:
    accounts = _with_accounts(ctx)
    if len(accounts) == 1:
        with ctx.listening(), output.progress("GET balance"):
            body = ctx.bank().get(f"banking/accounts/{accounts[0]}/balance",
                                  version=VERSIONS["balance"])
        if ctx.options.json:
            output.as_json(body)
        else:
            output.table("balances", [body["data"]], title="Balance")
    elif accounts:
        _list(ctx, "banking/accounts/balances", "balances-for", "balances", title="Balances",
              body={"data": {"accountIds": accounts}})
    else:
        _list(ctx, "banking/accounts/balances", "balances", "balances", title="Balances")


def cmd_transactions(ctx: Context) -> None:
    options = ctx.options
    account = _with_account(ctx)
    params = {"oldest-time": _since(options.since)}
    if options.until:
        params["newest-time"] = _since(options.until)
    if options.min_amount:
        params["min-amount"] = options.min_amount
    if options.max_amount:
        params["max-amount"] = options.max_amount
    if options.text:
        params["text"] = options.text
    _list(ctx, f"banking/accounts/{account}/transactions", "transactions", "transactions",
          title=f"Transactions since {params['oldest-time'][:10]}", params=params)


def cmd_transaction(ctx: Context) -> None:
    account = _with_account(ctx)
    _one(ctx, f"banking/accounts/{account}/transactions/{ctx.options.transaction_id}",
         "transaction", title="Transaction")


def cmd_payees(ctx: Context) -> None:
    _list(ctx, "banking/payees", "payees", "payees", title="Payees")


def cmd_payee(ctx: Context) -> None:
    _one(ctx, f"banking/payees/{ctx.options.payee_id}", "payee", title="Payee")


def cmd_direct_debits(ctx: Context) -> None:
    _per_account(ctx, bulk=("banking/accounts/direct-debits", "direct-debits"),
                 one=("banking/accounts/{account}/direct-debits", "account-direct-debits"),
                 several=("banking/accounts/direct-debits", "direct-debits-for"),
                 key="directDebitAuthorisations", title="Direct debits")


def cmd_scheduled_payments(ctx: Context) -> None:
    _per_account(ctx, bulk=("banking/payments/scheduled", "scheduled-payments"),
                 one=("banking/accounts/{account}/payments/scheduled",
                      "account-scheduled-payments"),
                 several=("banking/payments/scheduled", "scheduled-payments-for"),
                 key="scheduledPayments", title="Scheduled payments")


def cmd_instalment_plans(ctx: Context) -> None:
    accounts = _with_accounts(ctx)
    if len(accounts) > 1:
        raise ClientError("Instalment plans: every account, or one (the standard has no POST "
                          "form for several).")
    if accounts:
        _list(ctx, f"banking/accounts/{accounts[0]}/payments/plans",
              "account-instalment-plans", "plans", title="Instalment plans")
    else:
        _list(ctx, "banking/accounts/payments/plans", "instalment-plans", "plans",
              title="Instalment plans")


def cmd_customer(ctx: Context) -> None:
    if ctx.options.detail:
        _one(ctx, "common/customer/detail", "customer-detail", title="Customer")
    else:
        _one(ctx, "common/customer", "customer", title="Customer")


def cmd_products(ctx: Context) -> None:
    params = {"product-category": ctx.options.category} if ctx.options.category else None
    _list(ctx, "banking/products", "products", "products", title="Products", params=params,
          public=True)


def cmd_product(ctx: Context) -> None:
    _one(ctx, f"banking/products/{ctx.options.product_id}", "product", title="Product",
         public=True)


def cmd_bank_status(ctx: Context) -> None:
    with output.progress("GET discovery/status and discovery/outages"):
        bank = ctx.bank()
        status = bank.get("discovery/status", version=VERSIONS["status"], public=True)
        outages = bank.get("discovery/outages", version=VERSIONS["outages"], public=True)
    if ctx.options.json:
        output.as_json({"status": status, "outages": outages})
        return
    output.fields(status["data"], title="Bank status")
    output.table("outages", outages["data"]["outages"], title="Planned outages")


# -- the command line ---------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse, except that a long word starting with "-" is an argument, not an option: CDR
    resource IDs are base64url and about one in 64 starts with "-" (`transactions -Hs4...`).
    argparse asks `_negative_number_matcher` whether a dash-word is a value (Python 3.11's
    `_parse_optional`); subparsers are made with this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\d+$|^-\d*\.\d+$|^-[A-Za-z0-9_-]{16,}$")


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="bank-client", description="A CDR data recipient for the demo bank.",
        epilog="Start with `bank-client enrol`, then `bank-client login`.")
    top.add_argument("--home", help="the client's directory (default: BANK_CLIENT_HOME, or "
                     "var/bank-client in the bank's checkout)")
    top.add_argument("--bank-home", help="the bank's checkout (default: BANK_HOME, or this one)")
    top.add_argument("--json", action="store_true", help="print the bank's JSON, not tables")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[Context], None], text: str,
                aliases: tuple[str, ...] = ()) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text, aliases=list(aliases))
        sub.set_defaults(handler=handler)
        return sub

    def paged(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--limit", type=int, default=100, help="at most this many rows "
                         "(default %(default)s)")
        sub.add_argument("--all", action="store_true", help="every page")

    enrol = command("enrol", cmd_enrol, "Become a recipient of the bank: keys, a certificate "
                    "from the demo CA, a product on the mock Register, SSA and DCR.",
                    aliases=("enroll",))
    enrol.add_argument("--bank", default=os.environ.get("BANK_PUBLIC_BASE_URL",
                                                        "https://localhost:8443"),
                       help="the public listener (default %(default)s)")
    enrol.add_argument("--mtls", default=os.environ.get("BANK_MTLS_BASE_URL",
                                                        "https://localhost:8444"),
                       help="the mTLS listener (default %(default)s)")
    enrol.add_argument("--name", default="bank-client", help="software product name")
    enrol.add_argument("--brand", default="Demo Recipient Brand", help="the recipient brand")
    enrol.add_argument("--listen", default=DEFAULT_LISTEN, help="the client's own endpoints, "
                       "HOST:PORT on loopback (default %(default)s)")
    enrol.add_argument("--pki-dir", help="the demo PKI (default var/pki in the bank's checkout)")
    enrol.add_argument("--force", action="store_true", help="enrol a new client")

    login = command("login", cmd_login, "Ask a customer's consent (PAR, PKCE, private_key_jwt) "
                    "and get tokens bound to the client's certificate.")
    login.add_argument("--headless", action="store_true", help="log the demo customer in "
                       "without a browser (password from the demo credentials, the one-time "
                       "code from the demo outbox)")
    login.add_argument("--customer", default="jane.citizen", help="demo customer (--headless)")
    login.add_argument("--credentials", help="demo logins file (default var/demo-credentials.json)")
    login.add_argument("--outbox", help="the demo's email outbox (default var/outbox)")
    login.add_argument("--duration", type=parse_duration, default=parse_duration("90d"),
                       help="how long the customer shares: 90d, 12h, or 0 for once (default 90d)")
    login.add_argument("--scope", help="the scopes to ask for (default: every banking scope)")
    login.add_argument("--amend", action="store_true", help="amend the current arrangement")
    login.add_argument("--timeout", type=float, default=300, help="seconds to wait for the "
                       "consent (default %(default)s)")

    command("status", cmd_status, "Who the client is and what its tokens allow (no secrets).")
    command("refresh", cmd_refresh, "Refresh the access token.")
    command("revoke", cmd_revoke, "Revoke the arrangement at the bank and forget its tokens.")
    creds = command("credentials", cmd_credentials, "Print the client's settings and a fresh "
                    "access token for another tool (this prints a secret).")
    creds.add_argument("--bruno", action="store_true",
                       help="as `bru run` --env-var arguments (collections/bruno)")

    paged(command("accounts", cmd_accounts, "The accounts the customer shares."))
    command("account", cmd_account, "One account's detail.").add_argument(
        "account", help="account ID, name, nickname or ID prefix")
    balances = command("balances", cmd_balances, "Balances of every account, of one, or of "
                       "several (POST with their IDs).")
    balances.add_argument("accounts", nargs="*", metavar="ACCOUNT")
    paged(balances)
    transactions = command("transactions", cmd_transactions, "An account's transactions.")
    transactions.add_argument("account", help="account ID, name, nickname or ID prefix")
    transactions.add_argument("--since", default="90d", help="30d, 12h, 2w or a date "
                              "(default %(default)s)")
    transactions.add_argument("--until", help="a duration ago or a date")
    transactions.add_argument("--min-amount")
    transactions.add_argument("--max-amount")
    transactions.add_argument("--text", help="text in the description or reference")
    paged(transactions)
    transaction = command("transaction", cmd_transaction, "One transaction's detail.")
    transaction.add_argument("account")
    transaction.add_argument("transaction_id")
    paged(command("payees", cmd_payees, "Saved payees."))
    command("payee", cmd_payee, "One payee's detail.").add_argument("payee_id")
    debits = command("direct-debits", cmd_direct_debits, "Direct debit authorisations: every "
                     "account's, one's, or several's.")
    debits.add_argument("accounts", nargs="*", metavar="ACCOUNT")
    paged(debits)
    scheduled = command("scheduled-payments", cmd_scheduled_payments, "Scheduled payments: "
                        "every account's, one's, or several's.")
    scheduled.add_argument("accounts", nargs="*", metavar="ACCOUNT")
    paged(scheduled)
    plans = command("instalment-plans", cmd_instalment_plans, "Instalment plans (buy now, pay "
                    "later): every account's, or one's.")
    plans.add_argument("accounts", nargs="*", metavar="ACCOUNT")
    paged(plans)
    command("customer", cmd_customer, "The customer.").add_argument(
        "--detail", action="store_true", help="contact details too (customer.detail scope)")
    products = command("products", cmd_products, "The bank's products (public, no consent).")
    products.add_argument("--category", help="e.g. TRANS_AND_SAVINGS_ACCOUNTS")
    paged(products)
    command("product", cmd_product, "One product's detail (public).").add_argument("product_id")
    command("bank-status", cmd_bank_status, "The bank's status and planned outages (public).")
    return top


def main(argv: list[str] | None = None) -> int:
    options = parser().parse_args(argv)
    # The passphrase stays in this process: no child (manage.py, the browser) inherits it.
    capture_passphrase()
    ctx = Context(options)
    try:
        options.handler(ctx)
    except BankError as exc:
        output.error(str(exc))
        return 2
    except OAuthError as exc:
        output.error(f"the bank refused: {exc.error}: {exc.description}")
        return 2
    except requests.exceptions.SSLError as exc:
        output.error(f"TLS with the bank failed ({type(exc).__name__}); is this the demo's CA "
                     "and certificate? Try `bank-client enrol --force` after re-creating the "
                     "demo PKI.")
        return 1
    except requests.ConnectionError:
        output.error("cannot reach the bank: is `make demo` running?")
        return 1
    except (ClientError, NotLoggedIn, VaultError, EnrolmentError, ConsentError, HomeError,
            AssertionError, jws.InvalidJWSObject, jws.InvalidJWSSignature) as exc:
        output.error(str(exc) or type(exc).__name__)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

