"""A scripted demo customer: goes through the bank's consent pages in a browser's place.

After a recipient's PAR, a customer's browser is sent to /authorize, which answers 303 to the
consent pages (security/consent/views.py): customer ID and password, the one-time code sent
by email, the accounts to share, then authorise or deny; the last answer is a 303 to the
recipient's redirect_uri carrying the JARM response. `DemoCustomer` does exactly that over
HTTP(S) with a `requests.Session` (cookies, CSRF token from the forms, redirects followed by
hand), reading the code from the outbox directory where the demo and test banks write their
emails (`BANK_OTP_OUTBOX_DIR`). Nothing here talks to the bank other than through its pages.

    customer = DemoCustomer("https://127.0.0.1:8443", ca_bundle="ca.pem", outbox=Path("var/outbox"),
                            username="jane.citizen", password=..., email="jane.citizen@example.com")
    url = customer.consent(authorize_url, redirect_uri=recipient.redirect_uri,
                           accounts=["Everyday Account"])

It never prints or logs the password or the code, and its exception messages hold neither.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin, urlsplit

import requests

Step = Literal["login", "code", "accounts", "confirm"]
Pairs = list[tuple[str, str]]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_STEP_PATH = re.compile(r"/consent/[A-Za-z0-9_-]+(?:/(code|accounts|confirm))?/?\Z")
_STEPS: dict[str, Step] = {"": "login", "code": "code", "accounts": "accounts",
                           "confirm": "confirm"}
_CODE = re.compile(r"one-time code is (\d{4,8})\b")
#: More than the pages could ever take (4 steps and their redirects): a loop is a bug.
_MAX_HOPS = 16


class ConsentError(Exception):
    """A step did not go where it should. `alert` is the page's role=alert text, if any."""

    def __init__(self, step: str, problem: str, *, status: int | None = None, alert: str = "",
                 url: str = "", html: str = "") -> None:
        text = f"consent {step} step: {problem}"
        if alert:
            text += f" (page says: {alert})"
        super().__init__(text)
        self.step = step
        self.status = status
        self.alert = alert
        self.url = url
        self.html = html


# --- a small form parser ------------------------------------------------------------------


@dataclass
class Checkbox:
    name: str
    value: str
    label: str = ""
    checked: bool = False
    id: str = ""


@dataclass
class Form:
    action: str  # absolute URL
    method: str
    fields: Pairs = field(default_factory=list)  # hidden/text/password inputs and their values
    checkboxes: list[Checkbox] = field(default_factory=list)
    buttons: Pairs = field(default_factory=list)  # named submit buttons: (name, value)

    def names(self) -> set[str]:
        return {name for name, _ in self.fields} | {box.name for box in self.checkboxes}

    def data(self, values: dict[str, str], *, checked: list[Checkbox] | None = None,
             button: tuple[str, str] | None = None) -> Pairs:
        """What a browser would send: every field (given values replace the page's), the
        given checkboxes (default: those ticked on the page) and the button pressed."""
        unknown = set(values) - self.names()
        if unknown:
            raise ValueError(f"the form has no field {sorted(unknown)}")
        if button is not None and button not in self.buttons:
            raise ValueError(f"the form has no button {button}")
        pairs = [(name, values.get(name, value)) for name, value in self.fields]
        boxes = checked if checked is not None else [b for b in self.checkboxes if b.checked]
        pairs += [(box.name, box.value) for box in boxes]
        if button is not None:
            pairs.append(button)
        return pairs


@dataclass
class Page:
    url: str
    status: int
    html: str
    forms: list[Form]
    alerts: list[str]

    def form_with(self, *, field_name: str | None = None,
                  button: tuple[str, str] | None = None, action_suffix: str | None = None,
                  step: str) -> Form:
        for form in self.forms:
            if field_name is not None and field_name not in form.names():
                continue
            if button is not None and button not in form.buttons:
                continue
            if action_suffix is not None and not urlsplit(form.action).path.endswith(
                    action_suffix):
                continue
            return form
        raise ConsentError(step, "the page has no such form", status=self.status,
                           alert=self.alert, url=self.url, html=self.html)

    @property
    def alert(self) -> str:
        return " ".join(self.alerts)


@dataclass
class _Capture:
    """The text of an element being read: a role=alert one, or a <label for=key>."""

    kind: Literal["alert", "label"]
    key: str
    tag: str
    depth: int = 1  # open elements of the same tag name, to find the matching end tag
    parts: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    """Forms (action, inputs, named buttons), <label for> texts and role=alert texts."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms: list[Form] = []
        self.alerts: list[str] = []
        self.labels: dict[str, str] = {}
        self._form: Form | None = None
        self._captures: list[_Capture] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        has = {name for name, _ in attrs}
        for capture in self._captures:
            if capture.tag == tag:
                capture.depth += 1
        if a.get("role") == "alert":
            self._captures.append(_Capture("alert", "", tag))
        if tag == "label" and a.get("for"):
            self._captures.append(_Capture("label", a["for"], tag))
        if tag == "form":
            self._form = Form(action=urljoin(self.url, a.get("action") or self.url),
                              method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "button"):
            self._control(self._form, tag, a, has)

    @staticmethod
    def _control(form: Form, tag: str, a: dict[str, str], has: set[str]) -> None:
        kind = a.get("type", "submit" if tag == "button" else "text").lower()
        name = a.get("name", "")
        if not name or "disabled" in has:
            return
        if kind == "checkbox":
            form.checkboxes.append(Checkbox(name=name, value=a.get("value", "on"),
                                            checked="checked" in has, id=a.get("id", "")))
        elif kind == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif kind not in ("button", "reset", "image", "file", "radio"):
            form.fields.append((name, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        for capture in list(self._captures):
            if capture.tag != tag:
                continue
            capture.depth -= 1
            if capture.depth == 0:
                self._captures.remove(capture)
                text = " ".join("".join(capture.parts).split())
                if capture.kind == "alert":
                    self.alerts.append(text)
                else:
                    self.labels[capture.key] = text

    def handle_data(self, data: str) -> None:
        for capture in self._captures:
            capture.parts.append(data)

    def page(self, status: int, html: str) -> Page:
        for form in self.forms:
            for box in form.checkboxes:
                box.label = self.labels.get(box.id, "")
        return Page(url=self.url, status=status, html=html, forms=self.forms,
                    alerts=self.alerts)


def parse_page(url: str, status: int, html: str) -> Page:
    parser = _PageParser(url)
    parser.feed(html)
    parser.close()
    return parser.page(status, html)


# --- the customer ---------------------------------------------------------------------------


class DemoCustomer:
    """One customer with one browser session (cookies), deciding as scripted."""

    def __init__(self, bank_url: str, *, ca_bundle: str | bool, outbox: Path, username: str,
                 password: str, email: str | None = None, timeout: float = 15.0) -> None:
        parts = urlsplit(bank_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.outbox = Path(outbox)
        self.username = username
        self._password = password
        self.email = email
        self.timeout = timeout
        # No client certificate: the consent pages are public TLS endpoints, like a browser.
        self.session = requests.Session()
        # Passed on every request too: REQUESTS_CA_BUNDLE in the environment would otherwise
        # win over Session.verify (psf/requests#3829).
        self.verify = ca_bundle
        self.session.verify = ca_bundle
        self.session.headers["User-Agent"] = "bank_client.demo_customer"
        #: The pages the last run saw, by step (the last one of each), and what was shared.
        self.pages: dict[str, Page] = {}
        self.shared: list[str] = []

    def __repr__(self) -> str:  # never the password
        return f"DemoCustomer({self.username!r} at {self.origin})"

    # -- the flows ----------------------------------------------------------------------------

    def consent(self, authorize_url: str, *, redirect_uri: str, approve: bool = True,
                accounts: list[str] | None = None) -> str:
        """Go from `authorize_url` (or any consent page URL) to the recipient and return the
        URL the bank sent the browser to (redirect_uri?response=<JARM>&iss=...).

        accounts: None shares every account offered; a list shares those whose label contains
        one of the strings (each must match one); [] submits none (the page refuses it)."""
        self.pages, self.shared = {}, []
        code: str | None = None
        logged_in = False
        response = self._get(authorize_url)
        for _ in range(_MAX_HOPS):
            location = self._location(response)
            if location is not None:
                if _at(location, redirect_uri):
                    return location
                response = self._get(self._own(location))
                continue
            page = self._page(response)
            step = self._step(page)
            self.pages[step] = page
            if step == "login":
                if logged_in:  # sent back (code closed, locked out): do not loop
                    raise ConsentError(step, "sent back to the login page", status=page.status,
                                       alert=page.alert, url=page.url, html=page.html)
                logged_in = True
                form = page.form_with(field_name="password", step=step)
                before = self._outbox_names()
                response = self._post(form, {"customer_id": self.username,
                                             "password": self._password}, step=step)
                self._expect_redirect(response, step)
                code = self._code_from_outbox(before)
            elif step == "code":
                if code is None:
                    raise ConsentError(step, "asked for a code this run did not request",
                                       url=page.url)
                form = page.form_with(field_name="code", step=step)
                response = self._post(form, {"code": code}, button=("action", "verify"),
                                      step=step)
                code = None
            elif step == "accounts":
                form = page.form_with(field_name="accounts", step=step)
                chosen = _choose(form, accounts, page)
                self.shared = [box.label for box in chosen]
                response = self._post(form, {}, checked=chosen, step=step)
            else:
                action = "authorise" if approve else "deny"
                form = page.form_with(button=("action", action), step=step)
                response = self._post(form, {}, button=("action", action), step=step)
            self._expect_redirect(response, step)
        raise ConsentError("consent", f"still not back at the recipient after {_MAX_HOPS} hops")

    def cancel_at_login(self, authorize_url: str, redirect_uri: str) -> str:
        """Open the login page and press "Cancel": the URL the recipient is sent to."""
        self.pages, self.shared = {}, []
        response = self._get(authorize_url)
        for _ in range(_MAX_HOPS):
            location = self._location(response)
            if location is None:
                break
            if _at(location, redirect_uri):
                raise ConsentError("login", "sent to the recipient before any page was shown")
            response = self._get(self._own(location))
        page = self._page(response)
        step = self._step(page)
        self.pages[step] = page
        form = page.form_with(action_suffix="/cancel", step=step)
        response = self._post(form, {}, step=step)
        location = self._location(response)
        if location is None or not _at(location, redirect_uri):
            raise ConsentError("cancel", f"answered {response.status_code}, not the recipient",
                               status=response.status_code)
        return location

    # -- HTTP --------------------------------------------------------------------------------

    def _get(self, url: str) -> requests.Response:
        return self.session.get(url, allow_redirects=False, timeout=self.timeout,
                                verify=self.verify)

    def _post(self, form: Form, values: dict[str, str], *, step: str,
              checked: list[Checkbox] | None = None,
              button: tuple[str, str] | None = None) -> requests.Response:
        # The password and code go to the bank and nowhere else, whatever a page says.
        if form.method != "post":
            raise ConsentError(step, "a form that does not post")
        self._own(form.action)
        # Browsers send Origin with a form post, and Django's CSRF check needs it (or a
        # Referer) on HTTPS. This is the bank's origin, as a browser sends it when the page's
        # referrer policy is anything but no-referrer (which makes it "null").
        return self.session.post(form.action, data=form.data(values, checked=checked,
                                                             button=button),
                                 headers={"Origin": self.origin}, allow_redirects=False,
                                 timeout=self.timeout, verify=self.verify)

    def _own(self, url: str) -> str:
        """A URL on the bank: the only place this session is sent to (besides the recipient,
        whose URL is returned, not fetched)."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            raise ConsentError("consent", f"sent away from the bank, to {parts.netloc}")
        return url

    @staticmethod
    def _location(response: requests.Response) -> str | None:
        if response.status_code not in _REDIRECTS:
            return None
        return urljoin(response.url, response.headers["Location"])

    def _page(self, response: requests.Response) -> Page:
        page = parse_page(response.url, response.status_code, response.text)
        if response.status_code != 200:
            step = _step_name(response.url) or "consent"
            title = re.search(r"<h1>(.*?)</h1>", response.text, re.S)
            problem = f"{response.url} answered {response.status_code}"
            if title:
                problem += f": {' '.join(title.group(1).split())}"
            raise ConsentError(step, problem, status=response.status_code, alert=page.alert,
                               url=page.url, html=page.html)
        return page

    @staticmethod
    def _step(page: Page) -> Step:
        step = _step_name(page.url)
        if step is None:
            raise ConsentError("consent", f"an unexpected page: {page.url}", status=page.status,
                               url=page.url, html=page.html)
        return step

    def _expect_redirect(self, response: requests.Response, step: str) -> None:
        if response.status_code in _REDIRECTS:
            return
        page = parse_page(response.url, response.status_code, response.text)
        raise ConsentError(step, f"answered {response.status_code} instead of going on",
                           status=response.status_code, alert=page.alert, url=page.url,
                           html=page.html)

    # -- the outbox ---------------------------------------------------------------------------

    def _outbox_names(self) -> set[str]:
        return {p.name for p in self.outbox.glob("*.eml")} if self.outbox.is_dir() else set()

    def _code_from_outbox(self, before: set[str], wait: float = 10.0) -> str:
        """The code in the newest email written since `before` (to `email`, when given)."""
        deadline = time.monotonic() + wait
        while True:
            fresh = [self.outbox / name for name in self._outbox_names() - before]
            # Newest first; the bank's file names start with a UTC timestamp.
            for path in sorted(fresh, key=lambda p: (p.stat().st_mtime, p.name), reverse=True):
                message = message_from_bytes(path.read_bytes(), policy=policy.default)
                if not isinstance(message, EmailMessage):
                    continue
                if self.email and not _addressed_to(message, self.email):
                    continue
                body = message.get_body(("plain",))
                match = _CODE.search(body.get_content() if body is not None else "")
                if match:
                    return match.group(1)
            if time.monotonic() > deadline:
                to = f" to {self.email}" if self.email else ""
                raise ConsentError("login", f"no one-time code{to} arrived in {self.outbox}")
            time.sleep(0.1)


def _step_name(url: str) -> Step | None:
    match = _STEP_PATH.search(urlsplit(url).path)
    if match is None:
        return None
    return _STEPS[match.group(1) or ""]


def _at(url: str, redirect_uri: str) -> bool:
    """Whether the bank sent the browser to the recipient's redirect_uri."""
    return url == redirect_uri or url.startswith((redirect_uri + "?", redirect_uri + "#"))


def _addressed_to(message: EmailMessage, email: str) -> bool:
    return any(address.casefold() == email.casefold()
               for _, address in getaddresses(message.get_all("To", [])))


def _choose(form: Form, wanted: list[str] | None, page: Page) -> list[Checkbox]:
    boxes = [box for box in form.checkboxes if box.name == "accounts"]
    if wanted is None:
        return boxes
    missing = [text for text in wanted if not any(text in box.label for box in boxes)]
    if missing:
        offered = "; ".join(box.label for box in boxes)
        raise ConsentError("accounts", f"no account offered matches {missing} (offered: {offered})",
                           url=page.url, html=page.html)
    return [box for box in boxes if any(text in box.label for text in wanted)]
