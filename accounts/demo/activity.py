"""Realistic, deterministic account activity for the demo: salary, rent, groceries, BPAY
bills, card purchases, NPP transfers between own accounts (both legs), fees and interest.

Everything here is pure Python: it returns unsaved `Transaction` objects (no account set
yet) so the seeder can bulk-insert them, and tests can `full_clean()` a sample. Randomness
comes only from the `random.Random` passed in.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from accounts.choices import ExtensionUType, NppPaymentService, TransactionStatus
from accounts.choices import TransactionType as T
from transactions.models import Transaction

CENT = Decimal("0.01")
WINDOW_DAYS = 90
PENDING_DAYS = 2

GROCERS = [("WOOLWORTHS", "5411"), ("COLES", "5411"), ("ALDI STORES", "5411"),
           ("IGA", "5411"), ("HARRIS FARM MARKETS", "5411")]
DINING = [("BOOKER CAFE", "5814"), ("GUZMAN Y GOMEZ", "5814"), ("MCDONALDS", "5814"),
          ("THE GROUNDS", "5812"), ("MAMAK", "5812"), ("UBER EATS", "5812")]
FUEL = [("AMPOL", "5541"), ("BP", "5541"), ("7-ELEVEN", "5541"), ("SHELL COLES EXPRESS", "5541")]
SHOPS = [("KMART", "5311"), ("JB HI-FI", "5732"), ("BUNNINGS", "5200"), ("MYER", "5311"),
         ("CHEMIST WAREHOUSE", "5912"), ("UNIQLO", "5651"), ("OFFICEWORKS", "5943")]
TRAVEL = [("QANTAS", "4511"), ("HILTON", "7011"), ("UBER", "4121"), ("OPAL TRANSPORT", "4111")]
SUBURBS = ["SYDNEY", "PARRAMATTA", "NEWTOWN", "CHATSWOOD", "BONDI", "MELBOURNE", "FITZROY"]
BILLERS = [("23796", "AGL ENERGY"), ("46953", "TELSTRA"), ("32722", "SYDNEY WATER"),
           ("75556", "ORIGIN ENERGY"), ("130039", "CITY OF SYDNEY RATES")]
DEBITORS = [("NETFLIX.COM", "123456"), ("ANYTIME FITNESS", "301500"),
            ("NRMA INSURANCE", "064123"), ("SPOTIFY", "457711")]


@dataclass
class Leg:
    """One side of an event: the account role it lands on plus Transaction fields."""

    target: str  # "self" or a link name of the account that generated the event
    fields: dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """An activity kind: how often, and how to make its legs."""

    name: str
    make: Callable[[random.Random, dict[str, Any]], list[Leg]]
    every_days: int = 0  # fixed cadence...
    offset: int = 0
    per_day: float = 0.0  # ...or a daily rate
    card: bool = False  # card purchases post a day or two later and may still be PENDING
    needs: str = ""  # link the kind needs (own-account transfers)

    @property
    def expected_count(self) -> float:
        return WINDOW_DAYS / self.every_days if self.every_days else self.per_day * WINDOW_DAYS


def money(rng: random.Random, low: float, high: float) -> Decimal:
    """A Decimal amount between low and high dollars (uniform in cents)."""
    return Decimal(rng.randint(round(low * 100), round(high * 100))) * CENT


def _npp(rng: random.Random, description: str, payer: str, payee: str) -> dict[str, Any]:
    return {
        "extension_utype": ExtensionUType.NPP_PAYLOAD,
        "npp_service": NppPaymentService.X2P1,
        "npp_service_version": "1",
        "npp_end_to_end_id": f"E2E{rng.getrandbits(64):016X}",
        "npp_extended_description": description,
        "payer": payer,
        "payee": payee,
    }


def _card(rng: random.Random, places: list[tuple[str, str]], low: float, high: float,
          kind: str = T.PAYMENT) -> list[Leg]:
    name, mcc = rng.choice(places)
    suburb = rng.choice(SUBURBS)
    return [Leg("self", {
        "type": kind, "amount": -money(rng, low, high),
        "description": f"{name} {suburb} AU", "merchant_name": name,
        "merchant_category_code": mcc, "reference": f"{rng.randint(100000, 999999)}",
    })]


def _salary(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
    employer = ctx.get("employer", "ACME WIDGETS PTY LTD")
    return [Leg("self", {"type": T.TRANSFER_INCOMING, "amount": money(rng, 2650, 3400),
                         "description": f"SALARY {employer}", "payer": employer,
                         "reference": f"PAYROLL {rng.randint(1000, 9999)}"})]


def _rent(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
    amount = money(rng, 1450, 1650)
    return [Leg("self", {"type": T.TRANSFER_OUTGOING, "amount": -amount,
                         "description": "Rent - Ray White Newtown", "reference": "RENT",
                         **_npp(rng, "Rent", ctx.get("name", ""), "RAY WHITE NEWTOWN TRUST")})]


def _bpay(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
    code, name = rng.choice(BILLERS)
    crn = f"{rng.randint(10**9, 10**10 - 1)}"
    return [Leg("self", {"type": T.PAYMENT, "amount": -money(rng, 60, 480),
                         "description": f"BPAY {name}", "biller_code": code,
                         "biller_name": name, "crn": crn, "reference": crn})]


def _direct_debit(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
    name, apca = rng.choice(DEBITORS)
    return [Leg("self", {"type": T.DIRECT_DEBIT, "amount": -money(rng, 12, 95),
                         "description": f"DIRECT DEBIT {name}", "apca_number": apca,
                         "payee": name, "reference": f"DD{rng.randint(10**6, 10**7 - 1)}"})]


def _monthly_fee(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
    amount = Decimal(ctx.get("monthly_fee", "5.00"))
    return [Leg("self", {"type": T.FEE, "amount": -amount, "description": "Monthly account fee",
                         "reference": "FEE"})]


def _atm(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
    return [Leg("self", {"type": T.OTHER, "amount": -Decimal(rng.choice([20, 50, 100, 200])),
                         "description": f"ATM WITHDRAWAL {rng.choice(SUBURBS)}",
                         "reference": f"ATM{rng.randint(1000, 9999)}"})]


def _transfer(link: str, low: float, high: float, label: str) -> Callable[..., list[Leg]]:
    """An NPP transfer to one of the customer's own accounts: outgoing + incoming legs."""

    def make(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
        amount = money(rng, low, high)
        npp = _npp(rng, label, ctx.get("name", ""), ctx.get("name", ""))
        return [
            Leg("self", {"type": T.TRANSFER_OUTGOING, "amount": -amount,
                         "description": f"Transfer to {label}", "reference": label, **npp}),
            Leg(link, {"type": T.TRANSFER_INCOMING, "amount": amount,
                       "description": f"Transfer from {ctx.get('display_name', 'account')}",
                       "reference": label, **npp}),
        ]

    return make


def _interest_paid(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
    return [Leg("self", {"type": T.INTEREST_PAID, "amount": money(rng, 2, 85),
                         "description": "Interest credit", "reference": "INTEREST"})]


def _interest_charged(low: float, high: float) -> Callable[..., list[Leg]]:
    def make(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
        return [Leg("self", {"type": T.INTEREST_CHARGED, "amount": -money(rng, low, high),
                             "description": "Interest charged", "reference": "INTEREST"})]

    return make


def _fee(name: str, low: float, high: float) -> Callable[..., list[Leg]]:
    def make(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
        return [Leg("self", {"type": T.FEE, "amount": -money(rng, low, high),
                             "description": name, "reference": "FEE"})]

    return make


def _sales(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
    customer = rng.choice(["HARBOUR CAFE PTY LTD", "J SMITH", "NORTHSIDE BUILDERS",
                           "GREEN GROCER CO", "PARK HOTEL"])
    invoice = f"INV-{rng.randint(10000, 99999)}"
    return [Leg("self", {"type": T.TRANSFER_INCOMING, "amount": money(rng, 150, 4800),
                         "description": f"Payment {customer} {invoice}", "reference": invoice,
                         **_npp(rng, invoice, customer, ctx.get("name", ""))})]


def _supplier(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
    supplier = rng.choice(["WIDGET PARTS AUSTRALIA", "SYDNEY STEEL SUPPLIES", "PACKRITE"])
    invoice = f"PO{rng.randint(1000, 9999)}"
    return [Leg("self", {"type": T.TRANSFER_OUTGOING, "amount": -money(rng, 300, 6500),
                         "description": f"{supplier} {invoice}", "reference": invoice,
                         **_npp(rng, invoice, ctx.get("name", ""), supplier)})]


def _payroll(rng: random.Random, ctx: dict[str, Any]) -> list[Leg]:
    return [Leg("self", {"type": T.TRANSFER_OUTGOING, "amount": -money(rng, 9000, 14000),
                         "description": "PAYROLL FORTNIGHTLY", "reference": "PAYROLL"})]


EVERYDAY = [
    Kind("salary", _salary, every_days=14, offset=3),
    Kind("rent", _rent, every_days=30, offset=1),
    Kind("groceries", lambda r, c: _card(r, GROCERS, 18, 240), per_day=0.45, card=True),
    Kind("dining", lambda r, c: _card(r, DINING, 6, 85), per_day=0.4, card=True),
    Kind("fuel", lambda r, c: _card(r, FUEL, 40, 110), per_day=0.12, card=True),
    Kind("shopping", lambda r, c: _card(r, SHOPS, 10, 350), per_day=0.15, card=True),
    Kind("bpay", _bpay, per_day=0.08),
    Kind("direct_debit", _direct_debit, every_days=30, offset=7),
    Kind("atm", _atm, per_day=0.04),
    Kind("fee", _monthly_fee, every_days=30, offset=0),
    Kind("to_savings", _transfer("savings", 100, 600, "Savings"), every_days=14, offset=4,
         needs="savings"),
    Kind("card_repayment", _transfer("card", 300, 1400, "Card repayment"), every_days=30,
         offset=20, needs="card"),
    Kind("loan_repayment", _transfer("loan", 450, 650, "Loan repayment"), every_days=30,
         offset=15, needs="loan"),
    Kind("bnpl_repayment", _transfer("bnpl", 30, 120, "Pay Later"), every_days=14, offset=9,
         needs="bnpl"),
    Kind("household", _transfer("household", 400, 900, "Household"), every_days=14, offset=4,
         needs="household"),
]
HOUSEHOLD = [
    Kind("groceries", lambda r, c: _card(r, GROCERS, 40, 320), per_day=0.5, card=True),
    Kind("bpay", _bpay, per_day=0.1),
    Kind("direct_debit", _direct_debit, every_days=30, offset=12),
    Kind("mortgage", _transfer("loan", 1600, 1800, "Mortgage"), every_days=14, offset=6,
         needs="loan"),
    Kind("to_offset", _transfer("offset", 200, 500, "Offset"), every_days=30, offset=8,
         needs="offset"),
]
SAVINGS = [
    Kind("interest", _interest_paid, every_days=30, offset=29),
    Kind("withdrawal", _transfer("everyday", 50, 400, "Everyday"), per_day=0.03,
         needs="everyday"),
]
CREDIT_CARD = [
    Kind("groceries", lambda r, c: _card(r, GROCERS, 20, 260), per_day=0.3, card=True),
    Kind("dining", lambda r, c: _card(r, DINING, 8, 140), per_day=0.4, card=True),
    Kind("shopping", lambda r, c: _card(r, SHOPS, 15, 600), per_day=0.25, card=True),
    Kind("travel", lambda r, c: _card(r, TRAVEL, 12, 900), per_day=0.08, card=True),
    Kind("interest", _interest_charged(5, 60), every_days=30, offset=27),
    Kind("fx_fee", _fee("International transaction fee", 1, 25), per_day=0.02),
]
TRAVEL_CARD = [
    Kind("travel", lambda r, c: _card(r, TRAVEL, 5, 300), per_day=0.3, card=True),
    Kind("dining", lambda r, c: _card(r, DINING, 6, 80), per_day=0.2, card=True),
    Kind("fx_fee", _fee("Currency conversion fee", 0.5, 9), per_day=0.1),
]
HOME_LOAN = [
    Kind("interest", _interest_charged(2400, 2900), every_days=30, offset=26),
    Kind("fee", _fee("Loan service fee", 8, 8), every_days=30, offset=26),
]
PERSONAL_LOAN = [Kind("interest", _interest_charged(90, 160), every_days=30, offset=25)]
BUSINESS_LOAN = [Kind("interest", _interest_charged(600, 900), every_days=30, offset=25),
                 Kind("fee", _fee("Monthly loan fee", 20, 20), every_days=30, offset=25)]
TERM_DEPOSIT: list[Kind] = []
BNPL = [Kind("late_fee", _fee("Missed payment fee", 10, 10), per_day=0.01)]
BUSINESS = [
    Kind("sales", _sales, per_day=1.2),
    Kind("suppliers", _supplier, per_day=0.25),
    Kind("bpay", _bpay, per_day=0.1),
    Kind("payroll", _payroll, every_days=14, offset=5),
    Kind("card", lambda r, c: _card(r, SHOPS + FUEL, 20, 800), per_day=0.3, card=True),
    Kind("merchant_fee", _fee("Merchant service fees", 40, 260), every_days=30, offset=1),
    Kind("loan_repayment", _transfer("loan", 2500, 2500, "Loan repayment"), every_days=30,
         offset=15, needs="loan"),
]

PROFILES: dict[str, list[Kind]] = {
    "everyday": EVERYDAY, "household": HOUSEHOLD, "savings": SAVINGS,
    "credit_card": CREDIT_CARD, "travel_card": TRAVEL_CARD, "home_loan": HOME_LOAN,
    "personal_loan": PERSONAL_LOAN, "business_loan": BUSINESS_LOAN,
    "term_deposit": TERM_DEPOSIT, "bnpl": BNPL, "business": BUSINESS,
}
# Profiles whose count --transactions-per-account sets; loans, term deposits and BNPL keep
# their calendar (a thousand interest charges on a loan would not be realistic).
BULK_PROFILES = frozenset({"everyday", "household", "savings", "credit_card", "travel_card",
                           "business"})


@dataclass
class AccountActivity:
    """An account being planned: its profile, its links to the owner's other accounts, and
    the transactions generated for it so far."""

    role: str
    profile: str
    links: dict[str, str] = field(default_factory=dict)  # link name -> role
    context: dict[str, Any] = field(default_factory=dict)
    transactions: list[Transaction] = field(default_factory=list)


def _moment(rng: random.Random, day_start: datetime) -> datetime:
    # Banking happens mostly in waking hours.
    return day_start + timedelta(seconds=rng.randint(6 * 3600, 23 * 3600))


def _events(
    rng: random.Random, kinds: list[Kind], window_start: datetime, count: int | None
) -> list[tuple[datetime, Kind]]:
    if not kinds:
        return []
    if count is None:
        events = []
        for day in range(WINDOW_DAYS):
            start = window_start + timedelta(days=day)
            for kind in kinds:
                due = (
                    kind.every_days and day % kind.every_days == kind.offset % kind.every_days
                ) or (kind.per_day and rng.random() < kind.per_day)
                if due:
                    events.append((_moment(rng, start), kind))
        return events
    weights = [k.expected_count for k in kinds]
    picked = rng.choices(kinds, weights=weights, k=count)
    return [
        (_moment(rng, window_start + timedelta(days=rng.randrange(WINDOW_DAYS))), kind)
        for kind in picked
    ]


def activity_generate(
    *,
    rng: random.Random,
    accounts: list[AccountActivity],
    window_end: datetime,
    transactions_per_account: int | None = None,
) -> None:
    """Fill `transactions` of every account in one customer group (own-account transfers
    land on both sides). `window_end` is local midnight: nothing is in the future."""
    window_start = window_end - timedelta(days=WINDOW_DAYS)
    by_role = {a.role: a for a in accounts}
    pending_from = window_end - timedelta(days=PENDING_DAYS)
    for account in accounts:
        kinds = [k for k in PROFILES[account.profile] if not k.needs or k.needs in account.links]
        count = transactions_per_account if account.profile in BULK_PROFILES else None
        events = _events(rng, kinds, window_start, count)
        events.sort(key=lambda e: e[0])
        for executed, kind in events:
            pending = kind.card and executed >= pending_from and rng.random() < 0.7
            if pending:
                posted = None
            elif kind.card:
                posted = min(executed + timedelta(hours=rng.randint(12, 48)),
                             window_end - timedelta(seconds=1))
                posted = max(posted, executed)
            else:
                posted = executed
            for leg in kind.make(rng, account.context):
                target = account if leg.target == "self" else by_role[account.links[leg.target]]
                target.transactions.append(Transaction(
                    status=TransactionStatus.PENDING if pending else TransactionStatus.POSTED,
                    execution_date_time=executed,
                    posting_date_time=posted,
                    value_date_time=posted or executed,
                    **leg.fields,
                ))
    for account in accounts:
        account.transactions.sort(key=lambda t: t.execution_date_time)


def running_minimum(transactions: list[Transaction]) -> Decimal:
    """The lowest the balance goes (relative to the opening balance) across the window,
    counting pending amounts as held, so available funds never go below it either."""
    total = Decimal("0")
    lowest = Decimal("0")
    for txn in transactions:
        total += txn.amount
        lowest = min(lowest, total)
    return lowest


def running_maximum(transactions: list[Transaction]) -> Decimal:
    total = Decimal("0")
    highest = Decimal("0")
    for txn in transactions:
        total += txn.amount
        highest = max(highest, total)
    return highest
