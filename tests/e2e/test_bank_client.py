"""`bank-client` end to end, as a user runs it, against a live bank over TLS and mTLS.

The client runs as its own process (`python -m bank_client`, what the `bank-client` script
calls): it enrols (its own keys, a certificate from the demo CA for its CSR, a product on the
mock Register, SSA, DCR), logs the demo customer in headlessly through the consent pages
(password, code from the outbox), receives the JARM response on its own redirect listener,
exchanges the code over mTLS, keeps its tokens encrypted, and reads accounts, balances and
transactions, in tables and in JSON; then it revokes. The attacks: a tampered vault, another
passphrase, a foreign account ID, calls after revocation.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cdr_schema import validate_body
from tests.e2e.conftest import ROOT, LiveBank

PASSPHRASE = "correct horse battery staple"


def assert_valid(body: dict, operation_id: str) -> None:
    """The client's --json output is the bank's body, valid for the official schema."""
    problems = validate_body(body, operation_id, 200)
    assert not problems, "\n".join(problems)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    def __init__(self, bank: LiveBank, home: Path) -> None:
        self.bank = bank
        self.home = home
        self.env = {**bank.env, "BANK_CLIENT_HOME": str(home), "BANK_CLIENT_PASSPHRASE": PASSPHRASE,
                    "COLUMNS": "200", "NO_COLOR": "1"}

    def run(self, *args: str, ok: bool = True, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "bank_client", *args], cwd=ROOT,
                              env=env or self.env, capture_output=True, text=True, timeout=180,
                              check=False)
        if ok and done.returncode != 0:
            raise AssertionError(f"bank-client {' '.join(args)} -> {done.returncode}\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done

    def json(self, *args: str) -> dict:
        return json.loads(self.run("--json", *args).stdout)


@pytest.fixture(scope="module")
def client(live_bank, tmp_path_factory) -> Client:
    client = Client(live_bank, tmp_path_factory.mktemp("bank-client"))
    client.run("enrol", "--name", "CLI Budget", "--listen", f"127.0.0.1:{_free_port()}",
               "--pki-dir", str(live_bank.pki.root))
    client.run("login", "--headless", "--credentials",
               str(live_bank.workdir / "credentials.json"))
    return client


def test_enrolment_keeps_its_keys_private_and_its_certificate_from_the_demo_ca(client):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    home = client.home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for secret in ("signing-key.pem", "tls/client.key", "tokens.enc", "client.json"):
        assert stat.S_IMODE((home / secret).stat().st_mode) == 0o600, secret
    cert = x509.load_pem_x509_certificate((home / "tls/client.pem").read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(client.bank.ca.read_bytes()))
    key = serialization.load_pem_private_key((home / "tls/client.key").read_bytes(), None)
    assert cert.public_key() == key.public_key()  # the CA certified the client's own key
    assert cert.subject.rfc4514_string().startswith("CN=CLI Budget,OU=Consumer Data Right")
    status = client.json("status")
    assert status["client_id"] and status["cdr_arrangement_id"]
    assert status["refresh_token"] == "kept"


def test_tokens_are_encrypted_at_rest(client):
    vault = (client.home / "tokens.enc").read_text()
    envelope = json.loads(vault)
    assert envelope["kdf"] == "scrypt" and set(envelope) == {"v", "kdf", "salt", "nonce",
                                                             "ciphertext"}
    # Nothing token-like in clear: no JWT, no "access_token" key, no arrangement ID.
    arrangement = client.json("status")["cdr_arrangement_id"]
    assert "eyJ" not in vault and "access_token" not in vault and arrangement not in vault
    # Another passphrase, or none, opens nothing and says why.
    wrong = client.run("accounts", ok=False,
                       env={**client.env, "BANK_CLIENT_PASSPHRASE": "another"})
    assert wrong.returncode == 1 and "does not open" in wrong.stderr
    no_passphrase = {k: v for k, v in client.env.items() if k != "BANK_CLIENT_PASSPHRASE"}
    assert "set BANK_CLIENT_PASSPHRASE" in client.run("accounts", ok=False,
                                                       env=no_passphrase).stderr


def test_tampered_vault_is_refused(client, tmp_path):
    original = (client.home / "tokens.enc").read_bytes()
    envelope = json.loads(original)
    sealed = bytearray(__import__("base64").b64decode(envelope["ciphertext"]))
    sealed[3] ^= 1
    envelope["ciphertext"] = __import__("base64").b64encode(bytes(sealed)).decode()
    try:
        (client.home / "tokens.enc").write_text(json.dumps(envelope))
        refused = client.run("accounts", ok=False)
        assert refused.returncode == 1 and "was changed" in refused.stderr
    finally:
        (client.home / "tokens.enc").write_bytes(original)


def test_accounts_table_and_json(client):
    table = client.run("accounts").stdout
    body = client.json("accounts")
    assert_valid(body, "listBankingAccounts")
    accounts = body["data"]["accounts"]
    assert accounts, "the demo customer shares accounts"
    assert "Account ID" in table and "Number" in table
    for account in accounts:
        assert account["accountId"] in table and account["displayName"] in table
        assert account["maskedNumber"] in table
    # Nothing secret on the screen.
    assert "eyJ" not in table


def test_transactions_since_30d_by_account_name(client):
    accounts = client.json("accounts")["data"]["accounts"]
    account = accounts[0]
    body = client.json("transactions", account["accountId"], "--since", "30d")
    assert_valid(body, "listBankingTransactions")
    rows = body["data"]["transactions"]
    assert rows, "seeded transactions in the last 30 days"
    assert all(row["accountId"] == account["accountId"] for row in rows)
    # The same by display name, as a table: every transaction's ID and amount is on screen.
    table = client.run("transactions", account["displayName"], "--since", "30d").stdout
    assert "Transactions since" in table
    for row in rows:
        assert row["transactionId"] in table and row["amount"] in table
    # A window in the future has nothing.
    empty = client.json("transactions", account["accountId"], "--since", "2000-01-01",
                        "--until", "2000-01-02")
    assert empty["data"]["transactions"] == []


def test_balances_customer_and_public_products(client):
    balances = client.json("balances")
    assert_valid(balances, "listBankingBalancesBulk")
    customer = client.json("customer")
    assert_valid(customer, "getCustomer")
    assert "Jane" in client.run("customer").stdout
    products = client.json("products")
    assert_valid(products, "listBankingProducts")
    assert products["data"]["products"]


def test_every_list_in_its_bulk_one_account_and_several_accounts_forms(client):
    accounts = [a["accountId"] for a in client.json("accounts")["data"]["accounts"]]
    assert len(accounts) >= 2
    two = accounts[:2]
    forms = {
        "balances": ("balances", "listBankingBalancesBulk", "getBankingBalance",
                     "listBankingBalancesSpecificAccounts"),
        "direct-debits": ("directDebitAuthorisations", "listDirectDebitsBulk",
                          "listDirectDebits", "listDirectDebitsSpecificAccounts"),
        "scheduled-payments": ("scheduledPayments", "listScheduledPaymentsBulk",
                               "listScheduledPayments", "listScheduledPaymentsSpecificAccounts"),
    }
    for command, (key, bulk, one, several) in forms.items():
        every = client.json(command)
        assert_valid(every, bulk)
        single = client.json(command, accounts[0])
        assert_valid(single, one)
        chosen = client.json(command, *two)
        assert_valid(chosen, several)
        def account_of(row, key=key):
            return row["from"]["accountId"] if key == "scheduledPayments" else row["accountId"]

        rows = chosen["data"][key]
        assert {account_of(row) for row in rows} <= set(two), command
        assert len(rows) == sum(account_of(r) in two for r in every["data"][key]), command
    plans = client.json("instalment-plans")
    assert_valid(plans, "listInstalmentPlansBulk")
    assert_valid(client.json("instalment-plans", accounts[0]), "listInstalmentPlans")
    payees = client.json("payees")
    assert_valid(payees, "listBankingPayees")
    if payees["data"]["payees"]:
        payee = client.json("payee", payees["data"]["payees"][0]["payeeId"])
        assert_valid(payee, "getBankingPayeeDetail")
    assert_valid(client.json("account", accounts[0]), "getBankingAccountDetail")
    assert_valid(client.json("customer", "--detail"), "getCustomerDetail")


def test_bank_errors_show_the_cdr_code_and_interaction_id(client):
    refused = client.run("transactions", "f" * 32, "--since", "30d", ok=False)
    assert refused.returncode == 2
    assert "HTTP 404" in refused.stderr
    assert "urn:au-cds:error:cds-banking:Authorisation/InvalidBankingAccount" in refused.stderr
    assert re.search(r"x-fapi-interaction-id: [0-9a-f-]{36}", refused.stderr)


def test_refresh_then_revoke_ends_access(client):
    before = client.json("status")["cdr_arrangement_id"]
    assert "New access token" in client.run("refresh").stdout
    assert client.json("accounts")["data"]["accounts"]
    revoked = client.json("revoke")
    assert revoked == {"revoked": before}
    assert not (client.home / "tokens.enc").exists()
    after = client.run("accounts", ok=False)
    assert after.returncode == 1 and "bank-client login" in after.stderr
    # Log in again, once-off this time: no refresh token.
    client.run("login", "--headless", "--duration", "0", "--credentials",
               str(client.bank.workdir / "credentials.json"))
    assert client.json("status")["refresh_token"] == "none"
    assert client.json("accounts")["data"]["accounts"]


def test_help_lists_the_commands():
    done = subprocess.run([sys.executable, "-m", "bank_client", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=True,
                          env={**os.environ, "COLUMNS": "120"})
    for command in ("enrol", "login", "accounts", "transactions", "revoke", "credentials"):
        assert command in done.stdout
