"""bank-client's own pieces without a bank: its listener, durations, pages and error text."""

from __future__ import annotations

import argparse
import socket
from datetime import UTC, datetime, timedelta

import pytest
import requests

from bank_client.api import Bank, BankError
from bank_client.cli import ClientError, _since, parse_duration
from bank_client.config import ClientConfig
from bank_client.listener import MAX_BODY, Listener


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_listener_serves_jwks_queues_callbacks_and_guards_revocation():
    notices = []

    def on_revocation(form, authorization):
        notices.append((form, authorization))
        return 204

    address = f"127.0.0.1:{_port()}"
    with Listener(address, public_jwks={"keys": [{"kid": "k"}]},
                  on_revocation=on_revocation) as listener:
        base = f"http://{address}"
        jwks = requests.get(f"{base}/jwks", timeout=5)
        assert jwks.json() == {"keys": [{"kid": "k"}]}
        assert jwks.headers["Cache-Control"] == "no-store"
        callback = requests.get(f"{base}/callback?response=abc&iss=x", timeout=5)
        assert callback.status_code == 200 and "close this window" in callback.text
        assert listener.wait_for_callback(1) == "/callback?response=abc&iss=x"
        assert requests.get(f"{base}/callback?code=1", timeout=5).status_code == 400
        assert requests.get(f"{base}/other", timeout=5).status_code == 404
        revoke = requests.post(f"{base}/arrangements/revoke", data={"cdr_arrangement_jwt": "j"},
                               headers={"Authorization": "Bearer b"}, timeout=5)
        assert revoke.status_code == 204
        assert notices == [({"cdr_arrangement_jwt": "j"}, "Bearer b")]
        too_big = requests.post(f"{base}/arrangements/revoke", data="x" * (MAX_BODY + 1),
                                timeout=5)
        assert too_big.status_code == 413 and len(notices) == 1


def test_listener_without_a_revocation_handler_has_no_such_endpoint():
    address = f"127.0.0.1:{_port()}"
    with Listener(address, public_jwks={"keys": []}):
        assert requests.post(f"http://{address}/arrangements/revoke", timeout=5).status_code == 404


@pytest.mark.parametrize(("text", "seconds"), [("0", 0), ("90", 90), ("30d", 2_592_000),
                                               ("12h", 43_200), ("2w", 1_209_600),
                                               ("5m", 300)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "-1d", "3y", "1.5d", "d"])
def test_bad_durations(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(text)


def test_since_takes_durations_and_dates():
    assert _since("2026-11-01") == "2026-11-01T00:00:00Z"
    assert _since("2026-11-01T10:00:00+10:00") == "2026-11-01T00:00:00Z"
    ago = datetime.strptime(_since("1d"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - timedelta(days=1) - ago).total_seconds()) < 5
    with pytest.raises(ClientError, match="duration"):
        _since("last tuesday")


def test_bank_error_names_codes_and_interaction_id():
    error = BankError(403, [{"code": "urn:au-cds:error:cds-all:Authorisation/InvalidConsent",
                             "title": "Consent Is Invalid", "detail": "revoked"}],
                      "0b9c1b6e-7c4b-4f0a-9c44-8d8e1f5f7a10", what="GET /cds-au/v1/x")
    text = str(error)
    assert "GET /cds-au/v1/x answered HTTP 403" in text
    assert "urn:au-cds:error:cds-all:Authorisation/InvalidConsent: Consent Is Invalid (revoked)" in text
    assert "x-fapi-interaction-id: 0b9c1b6e-7c4b-4f0a-9c44-8d8e1f5f7a10" in text


def _bank_with_pages(pages):
    config = ClientConfig(bank_url="https://bank.test:8443", mtls_url="https://bank.test:8444",
                          redirect_uri="", listen="", client_name="")
    bank = Bank.__new__(Bank)
    bank.config, bank.progress = config, None
    calls = []

    def get(path, *, version, params=None, public=False, url=None, body=None):
        calls.append(url)
        return pages[len(calls) - 1]
    bank.get = get
    return bank, calls


def test_pages_are_followed_on_the_banks_origin_up_to_the_limit():
    pages = [{"data": {"accounts": [{"n": 1}, {"n": 2}]},
              "links": {"next": "https://bank.test:8444/cds-au/v1/banking/accounts?page=2"}},
             {"data": {"accounts": [{"n": 3}]}, "links": {}}]
    bank, calls = _bank_with_pages(pages)
    items, last = bank.get_all("banking/accounts", version="3", key="accounts")
    assert [i["n"] for i in items] == [1, 2, 3] and last is pages[1]
    assert calls == [None, "https://bank.test:8444/cds-au/v1/banking/accounts?page=2"]
    bank, calls = _bank_with_pages(pages)
    items, _ = bank.get_all("banking/accounts", version="3", key="accounts", limit=2)
    assert len(items) == 2 and calls == [None]


@pytest.mark.parametrize("elsewhere", ["https://evil.test:8444/cds-au/v1/banking/accounts",
                                       "http://bank.test:8444/cds-au/v1/banking/accounts",
                                       "https://bank.test:8443/cds-au/v1/banking/accounts"])
def test_a_next_link_off_the_banks_origin_never_gets_the_token(elsewhere):
    pages = [{"data": {"accounts": [{"n": 1}]}, "links": {"next": elsewhere}}]
    bank, calls = _bank_with_pages(pages)
    with pytest.raises(BankError, match=r"links\.next leaves the bank"):
        bank.get_all("banking/accounts", version="3", key="accounts")
    assert calls == [None]




def test_ids_that_start_with_a_dash_are_arguments_not_options():
    from bank_client.cli import parser

    options = parser().parse_args(["transactions", "-Hs4DsXJhKeugNELrnugpXkuRVuVcR6m",
                                   "--since", "30d"])
    assert (options.account, options.since) == ("-Hs4DsXJhKeugNELrnugpXkuRVuVcR6m", "30d")
    options = parser().parse_args(["transaction", "-Hs4DsXJhKeugNELrnugpXkuRVuVcR6m",
                                   "-abcdefghijklmnopqrstu"])
    assert options.transaction_id == "-abcdefghijklmnopqrstu"
    with pytest.raises(SystemExit):  # an unknown short option is still an error
        parser().parse_args(["transactions", "x", "-z"])


def test_third_party_text_cannot_drive_the_terminal():
    """Transaction descriptions, payee names and error details are written by others: rich
    markup and control characters (ESC: hyperlinks, titles, clipboard) arrive inert."""
    import io

    from rich.console import Console

    from bank_client import output

    payload = ("[link=https://evil.example/]refund here[/link] \x1b]0;pwned\x07 \x1b[2J "
               "[red]x[/red]")
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=300, color_system="truecolor")
    original = output.out
    output.out = console
    try:
        output.table("transactions", [{"description": payload, "amount": "-1.00",
                                       "transactionId": "t1"}])
        output.fields({"detail": payload})
    finally:
        output.out = original
    shown = buffer.getvalue()
    assert "\x1b]8;" not in shown  # no OSC 8 hyperlink
    assert "\x1b]0;" not in shown and "\x1b[2J" not in shown and "\x07" not in shown
    assert "[link=https://evil.example/]refund here[/link]" in shown  # shown as text
    assert "[red]x[/red]" in shown
    assert str(output.clean("a\nb")) == "a\ufffdb"
    assert str(output.clean("a\nb\x1b", newlines=True)) == "a\nb\ufffd"


def test_the_redirect_listener_queues_only_authorization_responses_and_bounds_bodies():
    address = f"127.0.0.1:{_port()}"
    with Listener(address, public_jwks={"keys": []},
                  on_revocation=lambda form, auth: 204) as listener:
        base = f"http://{address}"
        requests.get(f"{base}/callback?code=x&state=y", timeout=5)
        requests.get(f"{base}/callback?response=a.b.c", timeout=5)
        assert listener.wait_for_callback(1) == "/callback?response=a.b.c"
        assert listener.callbacks.empty()
        for length in ("-1", "abc"):
            with socket.create_connection(("127.0.0.1", int(address.split(":")[1])), 5) as s:
                s.sendall(f"POST /arrangements/revoke HTTP/1.1\r\nHost: x\r\n"
                          f"Content-Length: {length}\r\nConnection: close\r\n\r\n".encode())
                assert s.recv(100).startswith(b"HTTP/1.0 400")


def test_login_waits_past_answers_that_are_not_the_banks():
    """Anything on this machine can call the redirect URI: a forged or foreign answer is
    ignored, and the bank's own is taken when it comes."""
    import queue as queue_module

    from bank_client.cli import _first_valid_answer

    class FakeListener:
        callbacks = queue_module.Queue()

        def wait_for_callback(self, timeout):
            return self.callbacks.get(timeout=timeout)

    class FakeRecipient:
        def jarm(self, url, *, state):
            if "forged" in url:
                raise AssertionError("JARM response not for us")
            if "garbage" in url:
                from jwcrypto import jws
                raise jws.InvalidJWSObject("bad")
            return {"code": "c", "state": state}

    listener = FakeListener()
    for path in ("/callback?response=forged", "/callback?response=garbage",
                 "/callback?response=real"):
        listener.callbacks.put(path)
    config = ClientConfig(bank_url="", mtls_url="", redirect_uri="", listen="127.0.0.1:1",
                          client_name="")
    claims = _first_valid_answer(listener, FakeRecipient(), config, state="s", timeout=2)
    assert claims == {"code": "c", "state": "s"}
    with pytest.raises(ClientError, match="No answer"):
        _first_valid_answer(listener, FakeRecipient(), config, state="s", timeout=0.2)


def test_a_home_others_can_read_is_refused(tmp_path):
    from bank_client.config import ClientHome, HomeError

    home = ClientHome(tmp_path / "home")
    home.create()
    home.check_private()
    (tmp_path / "home").chmod(0o750)
    with pytest.raises(HomeError, match="chmod 700"):
        home.check_private()
    (tmp_path / "home").chmod(0o700)
    (tmp_path / "home" / "tls").chmod(0o777)
    with pytest.raises(HomeError):
        home.load()


@pytest.mark.parametrize("listen", ["0.0.0.0:8450", "192.168.1.5:8450", "example.com:80",
                                    "127.0.0.1:http"])
def test_enrol_listens_on_loopback_only(listen, tmp_path, capsys):
    from bank_client.cli import main

    assert main(["--home", str(tmp_path / "h"), "enrol", "--listen", listen]) == 1
    assert "loopback" in capsys.readouterr().err
