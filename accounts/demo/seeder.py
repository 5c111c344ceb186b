"""Builds the demo bank: catalogue, a fixed cast of customers, optional generated customers,
and 90 days of activity. Deterministic for a seed, except passwords (from `secrets`).

The fixed cast is small and saved with full_clean. Generated customers and all
transactions go through bulk_create in batches with no per-row queries; their generators
are validated by the tests instead.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import models

from accounts import choices as c
from accounts.demo.activity import AccountActivity, activity_generate, money, running_minimum
from accounts.demo.catalogue import catalogue_create
from accounts.models import (
    Account,
    AccountFeature,
    AccountHolder,
    Balance,
    BalancePurse,
    CreditCardDetail,
    Customer,
    CustomerAddress,
    CustomerEmailAddress,
    CustomerPhoneNumber,
    LoanDetail,
    Product,
    TermDeposit,
    User,
)
from transactions.models import (
    DirectDebit,
    InstalmentPlan,
    InstalmentPlanSchedule,
    Payee,
    ScheduledPayment,
    ScheduledPaymentSet,
    Transaction,
)

BATCH_SIZE = 5000
CUSTOMER_CHUNK = 250
SYDNEY = ZoneInfo("Australia/Sydney")
STAFF_USERNAME = "bank-admin"
CENTS = Decimal("0.01")
BSB = "923100"


@dataclass
class Credential:
    username: str
    password: str
    customer_type: str
    name: str


@dataclass
class SeedResult:
    counts: dict[str, int]
    credentials: list[Credential]


@dataclass
class PlannedAccount:
    activity: AccountActivity
    account: Account
    holders: list[Customer]
    owners: list[bool] = field(default_factory=list)
    credit_limit: Decimal | None = None
    floor: tuple[float, float] = (300, 3000)  # buffer above the lowest point (deposits)
    kind: str = "deposit"  # deposit | credit | loan


def _password() -> str:
    return secrets.token_urlsafe(18)  # 24 characters


class Seeder:
    def __init__(self, *, seed: int, as_of: date, transactions_per_account: int | None,
                 brand: str, brand_name: str) -> None:
        # Demo data, not secrets: a seeded PRNG is the point (passwords use `secrets`).
        self.rng = random.Random(seed)  # noqa: S311
        self.window_end = datetime.combine(as_of, time.min, tzinfo=SYDNEY)
        self.today = as_of
        self.per_account = transactions_per_account
        self.brand = brand
        self.brand_name = brand_name
        self.credentials: list[Credential] = []
        self.account_serial = 0
        self.transaction_count = 0
        self.products: dict[str, Product] = {}

    # --- helpers ----------------------------------------------------------------------

    def _account_number(self) -> str:
        self.account_serial += 1
        return f"{10_000_000 + self.account_serial * 7 + self.rng.randint(0, 6)}"

    def _account(self, product: str, display_name: str, *, ownership: str = "ONE_PARTY",
                 nickname: str = "", **extra: Any) -> Account:
        opened = self.today - timedelta(days=self.rng.randint(120, 3000))
        return Account(
            product=self.products[product], display_name=display_name, nickname=nickname,
            bsb=BSB, account_number=self._account_number(), ownership=ownership,
            creation_date=opened, **extra,
        )

    def _plan(self, role: str, profile: str, account: Account, holders: list[Customer],
              links: dict[str, str] | None = None, context: dict[str, Any] | None = None,
              **kw: Any) -> PlannedAccount:
        ctx = {"display_name": account.display_name, **(context or {})}
        return PlannedAccount(
            activity=AccountActivity(role=role, profile=profile, links=links or {},
                                     context=ctx),
            account=account, holders=holders, **kw,
        )

    def _settle(self, plans: list[PlannedAccount]) -> None:
        """Choose opening balances and limits so every balance stays plausible, then
        compute Balance rows that satisfy the documented identities."""
        for plan in plans:
            txns = plan.activity.transactions
            lowest = running_minimum(txns)
            if plan.kind == "deposit":
                opening = -lowest + money(self.rng, *plan.floor)
            elif plan.kind == "credit":
                opening = -money(self.rng, 150, 2500)
                needed = -(opening + lowest)
                limit = plan.credit_limit or Decimal("6000")
                while limit < needed + 500:
                    limit += 1000
                plan.credit_limit = limit
            else:  # loan: owes the principal; repayments never overshoot it
                opening = plan.account.opening_balance
            plan.account.opening_balance = opening

    def _balance(self, plan: PlannedAccount) -> Balance:
        posted = sum((t.amount for t in plan.activity.transactions
                      if t.status == c.TransactionStatus.POSTED), Decimal("0"))
        pending = sum((t.amount for t in plan.activity.transactions
                       if t.status == c.TransactionStatus.PENDING), Decimal("0"))
        current = plan.account.opening_balance + posted
        return Balance(
            account=plan.account, current_balance=current,
            available_balance=current + pending + (plan.credit_limit or Decimal("0")),
            credit_limit=plan.credit_limit,
            amortised_limit=plan.credit_limit if plan.kind == "credit" else None,
        )

    def _save_plans(self, plans: list[PlannedAccount]) -> Iterator[Transaction]:
        """Insert accounts, holders and balances for `plans`; yield their transactions."""
        self._settle(plans)
        Account.objects.bulk_create([p.account for p in plans], batch_size=BATCH_SIZE)
        AccountHolder.objects.bulk_create([
            AccountHolder(account=p.account, customer=customer, position=i,
                          is_owner=p.owners[i] if p.owners else True)
            for p in plans for i, customer in enumerate(p.holders)
        ], batch_size=BATCH_SIZE)
        Balance.objects.bulk_create([self._balance(p) for p in plans], batch_size=BATCH_SIZE)
        for plan in plans:
            for txn in plan.activity.transactions:
                txn.account = plan.account
                yield txn

    def _insert_transactions(self, transactions: Iterator[Transaction]) -> None:
        batch: list[Transaction] = []
        for txn in transactions:
            batch.append(txn)
            if len(batch) >= BATCH_SIZE:
                Transaction.objects.bulk_create(batch, batch_size=BATCH_SIZE)
                self.transaction_count += len(batch)
                batch = []
        if batch:
            Transaction.objects.bulk_create(batch, batch_size=BATCH_SIZE)
            self.transaction_count += len(batch)

    def _activity(self, plans: list[PlannedAccount]) -> None:
        activity_generate(rng=self.rng, accounts=[p.activity for p in plans],
                          window_end=self.window_end,
                          transactions_per_account=self.per_account)

    def _saved(self, obj: models.Model) -> Any:
        obj.full_clean()
        obj.save()
        return obj

    def _person(self, first: str, last: str, *, middle: list[str] | None = None,
                prefix: str = "", occupation: str = "", email: str, mobile: str,
                street: str, suburb: str, postcode: str, state: str = "NSW") -> Customer:
        customer = self._saved(Customer(
            customer_type=c.CustomerType.PERSON, first_name=first, last_name=last,
            middle_names=middle or [], prefix=prefix, occupation_code=occupation,
            occupation_code_version=c.OccupationCodeVersion.ANZSCO_2013_V1_3 if occupation
            else "",
            date_of_birth=date(self.rng.randint(1960, 2000), self.rng.randint(1, 12),
                               self.rng.randint(1, 28)),
            last_update_time=self.window_end - timedelta(days=self.rng.randint(1, 300)),
        ))
        self._contacts(customer, email=email, mobile=mobile, street=street, suburb=suburb,
                       postcode=postcode, state=state)
        return customer

    def _contacts(self, customer: Customer, *, email: str, mobile: str, street: str,
                  suburb: str, postcode: str, state: str = "NSW", paf: bool = False) -> None:
        local = mobile.replace(" ", "")
        self._saved(CustomerPhoneNumber(
            customer=customer, is_preferred=True, purpose=c.PhonePurpose.MOBILE,
            country_code="+61", number=local, full_number=f"tel:+61-{local.lstrip('0')}"))
        self._saved(CustomerEmailAddress(
            customer=customer, is_preferred=True, purpose=c.EmailPurpose.HOME, address=email))
        self._saved(CustomerAddress(
            customer=customer, purpose=c.AddressPurpose.PHYSICAL,
            address_utype=c.AddressUType.SIMPLE, address_line1=street, city=suburb,
            state=state, postcode=postcode, country="AUS"))
        if paf:
            number, *rest = street.split(" ")
            self._saved(CustomerAddress(
                customer=customer, position=1, purpose=c.AddressPurpose.REGISTERED,
                address_utype=c.AddressUType.PAF, thoroughfare_number1=int(number),
                street_name=rest[0], street_type=rest[1] if len(rest) > 1 else "",
                locality_name=suburb.upper(), postcode=postcode, state=state,
                dpid=f"{self.rng.randint(30_000_000, 99_999_999)}"))

    def _login(self, username: str, customer: Customer | None, name: str, *,
               staff: bool = False) -> User:
        password = _password()
        # A customer's contact details live (encrypted) on the Customer; the login keeps none.
        user = User(username=username, customer=customer, is_staff=staff, is_superuser=staff,
                    email=f"{username}@demobank.example" if staff else "")
        user.set_password(password)
        user.full_clean()
        user.save()
        self.credentials.append(Credential(
            username=username, password=password,
            customer_type=customer.customer_type if customer else "staff", name=name))
        return user

    # --- the fixed cast ---------------------------------------------------------------

    def seed_cast(self) -> None:
        jane = self._person("Jane", "Citizen", middle=["Maree"], prefix="Dr",
                            occupation="261313", email="jane.citizen@example.com",
                            mobile="0412 345 678", street="12 King Street", suburb="Newtown",
                            postcode="2042")
        john = self._person("John", "Citizen", occupation="351311",
                            email="john.citizen@example.com", mobile="0423 456 789",
                            street="12 King Street", suburb="Newtown", postcode="2042")
        priya = self._person("Priya", "Sharma", middle=["Devi"], occupation="254412",
                             email="priya.sharma@example.com", mobile="0434 567 890",
                             street="5 Ocean Street", suburb="Bondi", postcode="2026")
        acme = self._saved(Customer(
            customer_type=c.CustomerType.ORGANISATION, agent_first_name="Alex",
            agent_last_name="Nguyen", agent_role="Director", business_name="Acme Widgets",
            legal_name="Acme Widgets Pty Ltd", short_name="Acme", abn="51824753556",
            acn="824753556", is_acnc_registered=False, industry_code="2299",
            industry_code_version=c.IndustryCodeVersion.ANZSIC_2006_V2_0,
            organisation_type=c.OrganisationType.COMPANY, registered_country="AUS",
            establishment_date=date(2011, 3, 14),
            last_update_time=self.window_end - timedelta(days=40),
        ))
        self._contacts(acme, email="accounts@acmewidgets.example", mobile="0298 765 432",
                       street="100 Industrial Drive", suburb="Alexandria", postcode="2015",
                       paf=True)
        self._login("jane.citizen", jane, "Jane Citizen")
        self._login("john.citizen", john, "John Citizen")
        self._login("priya.sharma", priya, "Priya Sharma")
        self._login("acme.agent", acme, "Acme Widgets Pty Ltd (agent Alex Nguyen)")

        a = self._account
        p = self._plan
        joint = "TWO_PARTY"
        plans = [
            p("joint_everyday", "household",
              a("everyday", "Citizen Household", ownership=joint, nickname="Bills"),
              [jane, john], links={"loan": "joint_home_loan", "offset": "joint_offset"},
              context={"name": "J & J CITIZEN"}),
            p("joint_offset", "savings",
              a("saver", "Citizen Offset", ownership=joint, deposit_rate=Decimal("0.015")),
              [jane, john], links={"everyday": "joint_everyday"}, floor=(15000, 40000)),
            p("joint_home_loan", "home_loan",
              a("home_loan", "Citizen Home Loan", ownership=joint,
                lending_rate=Decimal("0.0619"), bundle_name="Home Package",
                opening_balance=-Decimal("548210.55")),
              [jane, john], kind="loan"),
            p("jane_everyday", "everyday", a("everyday", "Everyday Account"), [jane],
              links={"savings": "jane_saver", "card": "jane_card",
                     "household": "joint_everyday"},
              context={"name": "JANE CITIZEN", "employer": "SYDNEY HEALTH DISTRICT"}),
            p("jane_saver", "savings",
              a("saver", "Bonus Saver", nickname="Holiday fund",
                deposit_rate=Decimal("0.0495")),
              [jane], links={"everyday": "jane_everyday"}, floor=(8000, 20000)),
            p("jane_card", "credit_card",
              a("platinum_card", "Platinum Rewards Visa", lending_rate=Decimal("0.2099")),
              [jane], kind="credit", credit_limit=Decimal("12000")),
            p("jane_term_deposit", "term_deposit",
              a("term_deposit", "Term Deposit 12 months", deposit_rate=Decimal("0.045")),
              [jane], floor=(25000, 25000)),
            p("john_everyday", "everyday", a("everyday", "Everyday Account"), [john],
              links={"loan": "john_personal_loan", "bnpl": "john_bnpl",
                     "household": "joint_everyday"},
              context={"name": "JOHN CITIZEN", "employer": "ACME WIDGETS PTY LTD"}),
            p("john_personal_loan", "personal_loan",
              a("personal_loan", "Car Loan", lending_rate=Decimal("0.0999"),
                opening_balance=-Decimal("18450.00")),
              [john], kind="loan"),
            p("john_bnpl", "bnpl", a("pay_later", "Pay Later"), [john], kind="credit",
              credit_limit=Decimal("2000")),
            p("priya_everyday", "everyday", a("everyday", "Everyday Account"), [priya],
              links={"savings": "priya_saver", "card": "priya_card"},
              context={"name": "PRIYA SHARMA", "employer": "CANVA PTY LTD"}),
            p("priya_saver", "savings", a("saver", "Bonus Saver"), [priya],
              links={"everyday": "priya_everyday"}, floor=(3000, 12000)),
            p("priya_card", "credit_card",
              a("platinum_card", "Platinum Rewards Visa", lending_rate=Decimal("0.2099")),
              [priya], kind="credit", credit_limit=Decimal("8000")),
            p("priya_travel", "travel_card", a("travel_card", "Travel Money Card"), [priya],
              floor=(800, 2500)),
            p("acme_operating", "business",
              a("business_everyday", "Acme Operating Account"), [acme],
              links={"loan": "acme_loan"}, context={"name": "ACME WIDGETS PTY LTD"},
              floor=(20000, 60000)),
            p("acme_partners", "business",
              a("business_everyday", "Acme Directors' Account", ownership="MANY_PARTY"),
              [acme, jane, priya], owners=[True, True, True],
              context={"name": "ACME WIDGETS PTY LTD"}, floor=(10000, 30000)),
            p("acme_loan", "business_loan",
              a("business_loan", "Business Term Loan", lending_rate=Decimal("0.0875"),
                opening_balance=-Decimal("185000.00")),
              [acme], kind="loan"),
        ]
        by_role = {pl.activity.role: pl for pl in plans}
        self._activity(plans)
        # BNPL plans need the account saved first: BNPL purchases point at their plan.
        self._insert_transactions(self._save_plans(plans))
        self._bnpl_plans(by_role["john_bnpl"].account, by_role["john_everyday"].account)
        self._account_details(by_role)
        self._payments(jane=jane, john=john, priya=priya, acme=acme, by_role=by_role)

    def _bnpl_plans(self, bnpl: Account, everyday: Account) -> None:
        """Instalment plans with schedules; purchase and paid instalments as transactions
        (both legs of each paid instalment), keeping the balance identities."""
        extra: list[Transaction] = []
        purchases = [("JB HI-FI", "5732", "Headphones"), ("THE ICONIC", "5651", "Shoes"),
                     ("BUNNINGS", "5200", "Barbecue")]
        for index, (merchant, mcc, nickname) in enumerate(purchases):
            created = self.today - timedelta(days=10 + index * 25)
            amount = money(self.rng, 120, 480)
            instalment = (amount / 4).quantize(Decimal("0.01"))
            instalments = [instalment] * 3 + [amount - instalment * 3]
            due_dates = [created + timedelta(days=14 * i) for i in range(4)]
            paid = [d < self.today for d in due_dates]
            plan = self._saved(InstalmentPlan(
                account=bnpl, plan_reference=f"BNPL-{self.rng.randint(100000, 999999)}",
                merchant_name=merchant, merchant_category_code=mcc, plan_nickname=nickname,
                creation_date=created, amount=amount, plan_charge=Decimal("0.00"),
                plan_rate=Decimal("0"), duration="P6W", instalment_interval="P14D",
                status=c.InstalmentPlanStatus.ACTIVE if not all(paid)
                else c.InstalmentPlanStatus.INACTIVE,
            ))
            for due, value, is_paid in zip(due_dates, instalments, paid, strict=True):
                self._saved(InstalmentPlanSchedule(plan=plan, amount_due=value, due_date=due,
                                                   is_paid=is_paid))
            moment = datetime.combine(created, time(13, 5), tzinfo=SYDNEY)
            extra.append(Transaction(
                account=bnpl, status=c.TransactionStatus.POSTED, type=c.TransactionType.PAYMENT,
                amount=-amount, description=f"{merchant} - Pay Later plan",
                merchant_name=merchant, merchant_category_code=mcc,
                reference=plan.plan_reference, instalment_plan=plan,
                execution_date_time=moment, posting_date_time=moment, value_date_time=moment))
            for due, value, is_paid in zip(due_dates, instalments, paid, strict=True):
                if not is_paid:
                    continue
                when = datetime.combine(due, time(9, 0), tzinfo=SYDNEY)
                common = {"execution_date_time": when, "posting_date_time": when,
                          "value_date_time": when, "status": c.TransactionStatus.POSTED,
                          "reference": plan.plan_reference, "instalment_plan": plan}
                extra.append(Transaction(account=bnpl, type=c.TransactionType.TRANSFER_INCOMING,
                                         amount=value, description="Pay Later instalment",
                                         **common))
                extra.append(Transaction(account=everyday,
                                         type=c.TransactionType.TRANSFER_OUTGOING,
                                         amount=-value, description=f"Pay Later {merchant}",
                                         **common))
        self._insert_transactions(iter(extra))
        # Re-state both balances from their transactions (the identities stay exact).
        for account in (bnpl, everyday):
            balance = account.balance
            delta = sum((t.amount for t in extra if t.account is account), Decimal("0"))
            if account is everyday and balance.current_balance + delta < 0:
                account.opening_balance += -delta
                account.save(update_fields=["opening_balance"])
                delta = Decimal("0")
            balance.current_balance += delta
            balance.available_balance += delta
            balance.save(update_fields=["current_balance", "available_balance"])

    def _account_details(self, r: dict[str, PlannedAccount]) -> None:
        today = self.today
        td = r["jane_term_deposit"].account
        self._saved(TermDeposit(
            account=td, lodgement_date=today - timedelta(days=150),
            maturity_date=today - timedelta(days=150) + timedelta(days=365),
            maturity_amount=(td.opening_balance * Decimal("1.045")).quantize(Decimal("0.01")),
            maturity_instructions=c.MaturityInstructions.ROLLED_OVER))
        for role in ("jane_card", "priya_card"):
            account = r[role].account
            owed = max(-account.balance.current_balance, Decimal("0"))
            self._saved(CreditCardDetail(
                account=account, payment_due_amount=owed,
                min_payment_amount=min(owed, max(Decimal("25.00"),
                                                 (owed * Decimal("0.02")).quantize(CENTS))),
                payment_due_date=today + timedelta(days=12)))
        home = r["joint_home_loan"].account
        loan = self._saved(LoanDetail(
            account=home, original_start_date=date(2019, 8, 1),
            original_loan_amount=Decimal("640000.00"), loan_end_date=date(2049, 8, 1),
            next_instalment_date=today + timedelta(days=5),
            min_instalment_amount=Decimal("1712.00"), max_redraw=Decimal("23000.00"),
            min_redraw=Decimal("500.00"), offset_account_enabled=True,
            repayment_type=c.RepaymentType.PRINCIPAL_AND_INTEREST, repayment_frequency="P14D"))
        loan.offset_accounts.add(r["joint_offset"].account)
        self._saved(LoanDetail(
            account=r["john_personal_loan"].account, original_start_date=date(2023, 2, 1),
            original_loan_amount=Decimal("25000.00"), loan_end_date=date(2028, 2, 1),
            next_instalment_date=today + timedelta(days=9),
            min_instalment_amount=Decimal("531.00"), offset_account_enabled=False,
            repayment_type=c.RepaymentType.PRINCIPAL_AND_INTEREST, repayment_frequency="P1M"))
        self._saved(LoanDetail(
            account=r["acme_loan"].account, original_start_date=date(2022, 7, 1),
            original_loan_amount=Decimal("250000.00"), loan_end_date=date(2032, 7, 1),
            next_instalment_date=today + timedelta(days=14),
            min_instalment_amount=Decimal("2500.00"),
            repayment_type=c.RepaymentType.PRINCIPAL_AND_INTEREST, repayment_frequency="P1M"))
        travel = r["priya_travel"].account
        self._saved(BalancePurse(balance=travel.balance, amount=Decimal("420.50"),
                                 currency="USD"))
        self._saved(BalancePurse(balance=travel.balance, position=1, amount=Decimal("185.00"),
                                 currency="EUR"))
        for plan in r.values():
            product = plan.account.product
            for position, feature in enumerate(product.features.all()):
                self._saved(AccountFeature(
                    account=plan.account, position=position, feature_type=feature.feature_type,
                    additional_value=feature.additional_value,
                    is_activated=self.rng.choice([c.FeatureActivation.ACTIVATED] * 3
                                                 + [c.FeatureActivation.NOT_ACTIVATED])))

    def _payments(self, *, jane: Customer, john: Customer, priya: Customer, acme: Customer,
                  by_role: dict[str, PlannedAccount]) -> None:
        today = self.today
        created = today - timedelta(days=200)
        payees = {
            "agl": Payee(customer=jane, payee_type=c.PayeeType.BILLER, nickname="AGL",
                         description="Electricity", creation_date=created, biller_code="23796",
                         biller_name="AGL ENERGY", biller_crn="4001234567"),
            "landlord": Payee(customer=john, payee_type=c.PayeeType.DOMESTIC,
                              nickname="Mum", creation_date=created,
                              domestic_account_utype=c.DomesticPayeeAccountUType.ACCOUNT,
                              domestic_account_name="M CITIZEN", domestic_bsb="062000",
                              domestic_account_number="12345678"),
            "card": Payee(customer=john, payee_type=c.PayeeType.DOMESTIC, nickname="Sam card",
                          creation_date=created,
                          domestic_account_utype=c.DomesticPayeeAccountUType.CARD,
                          domestic_card_number="4564123412341234"),
            "payid": Payee(customer=priya, payee_type=c.PayeeType.DOMESTIC,
                           nickname="Flatmate", creation_date=created,
                           domestic_account_utype=c.DomesticPayeeAccountUType.PAY_ID,
                           domestic_payid_name="Tom Lee",
                           domestic_payid_identifier="tom.lee@example.com",
                           domestic_payid_type=c.PayIdType.EMAIL),
            "intl": Payee(customer=priya, payee_type=c.PayeeType.INTERNATIONAL,
                          nickname="Family in Mumbai", creation_date=created,
                          international_beneficiary_name="Anil Sharma",
                          international_beneficiary_country="IND",
                          international_beneficiary_message="Family support",
                          international_bank_country="IND",
                          international_account_number="50100123456789",
                          international_bank_address_name="HDFC Bank",
                          international_bank_address="Fort, Mumbai 400001",
                          international_bic="HDFCINBBXXX"),
            "wallet": Payee(customer=jane, payee_type=c.PayeeType.DIGITAL_WALLET,
                            nickname="PayPal", creation_date=created,
                            wallet_name="Jane Citizen", wallet_identifier="jane@example.com",
                            wallet_type=c.DigitalWalletType.EMAIL,
                            wallet_provider=c.DigitalWalletProvider.PAYPAL_AU),
            "supplier": Payee(customer=acme, payee_type=c.PayeeType.DOMESTIC,
                              nickname="Widget Parts", creation_date=created,
                              domestic_account_utype=c.DomesticPayeeAccountUType.PAY_ID,
                              domestic_payid_name="Widget Parts Australia",
                              domestic_payid_identifier="62000000001",
                              domestic_payid_type=c.PayIdType.ABN),
        }
        for payee in payees.values():
            self._saved(payee)
        debits = [
            ("jane_everyday", "NETFLIX.COM", "Westpac", ""),
            ("jane_everyday", "ANYTIME FITNESS", "Commonwealth Bank", "34102567123"),
            ("john_everyday", "NRMA INSURANCE", "ANZ", "11000016722"),
            ("joint_everyday", "AGL ENERGY", "NAB", "74115061375"),
            ("acme_operating", "AUSTRALIAN TAXATION OFFICE", "Reserve Bank of Australia", ""),
        ]
        for role, entity, institution, abn in debits:
            self._saved(DirectDebit(
                account=by_role[role].account, authorised_entity_description=entity,
                authorised_entity_financial_institution=institution, authorised_entity_abn=abn,
                last_debit_date_time=self.window_end - timedelta(days=self.rng.randint(2, 30)),
                last_debit_amount=money(self.rng, 15, 420)))
        acc = {role: plan.account for role, plan in by_role.items()}
        schedules: list[tuple[ScheduledPayment, list[ScheduledPaymentSet]]] = [
            (ScheduledPayment(
                from_account=acc["jane_everyday"], nickname="Save monthly",
                payer_reference="To saver", payee_reference="From everyday",
                recurrence_utype=c.RecurrenceUType.INTERVAL_SCHEDULE,
                next_payment_date=today + timedelta(days=6),
                non_business_day_treatment=c.NonBusinessDayTreatment.AFTER,
                intervals=[{"interval": "P1M", "dayInInterval": "P1D"}],
                final_payment_date=today + timedelta(days=730)),
             [ScheduledPaymentSet(to_utype=c.ScheduledPaymentToUType.ACCOUNT_ID,
                                  to_account=acc["jane_saver"], amount=Decimal("500.00"))]),
            (ScheduledPayment(
                from_account=acc["john_everyday"], nickname="Pay Mum back",
                payer_reference="Loan back", payee_reference="From John",
                recurrence_utype=c.RecurrenceUType.ONCE_OFF,
                next_payment_date=today + timedelta(days=3),
                payment_date=today + timedelta(days=3)),
             [ScheduledPaymentSet(to_utype=c.ScheduledPaymentToUType.PAYEE_ID,
                                  to_payee=payees["landlord"], amount=Decimal("250.00"))]),
            (ScheduledPayment(
                from_account=acc["acme_operating"], nickname="Supplier retainer",
                payer_reference="Retainer", payee_reference="ACME RETAINER",
                recurrence_utype=c.RecurrenceUType.LAST_WEEK_DAY,
                next_payment_date=today + timedelta(days=20), interval="P1M",
                last_week_day=c.WeekDay.FRI, payments_remaining=10,
                non_business_day_treatment=c.NonBusinessDayTreatment.BEFORE),
             [ScheduledPaymentSet(to_utype=c.ScheduledPaymentToUType.PAYEE_ID,
                                  to_payee=payees["supplier"], amount=Decimal("1200.00")),
              ScheduledPaymentSet(to_utype=c.ScheduledPaymentToUType.ACCOUNT_ID, position=1,
                                  to_account=acc["acme_partners"], amount=Decimal("800.00"))]),
            (ScheduledPayment(
                from_account=acc["priya_everyday"], nickname="Clear card",
                payer_reference="Card", payee_reference="Full balance",
                recurrence_utype=c.RecurrenceUType.EVENT_BASED,
                event_description="When the credit card statement is issued"),
             [ScheduledPaymentSet(to_utype=c.ScheduledPaymentToUType.ACCOUNT_ID,
                                  to_account=acc["priya_card"], is_amount_calculated=True)]),
            (ScheduledPayment(
                from_account=acc["priya_everyday"], nickname="Flat bills",
                payer_reference="Bills", payee_reference="Priya bills",
                status=c.ScheduledPaymentStatus.SKIP,
                recurrence_utype=c.RecurrenceUType.INTERVAL_SCHEDULE,
                next_payment_date=today + timedelta(days=14), payments_remaining=5,
                intervals=[{"interval": "P14D"}]),
             [ScheduledPaymentSet(to_utype=c.ScheduledPaymentToUType.PAYEE_ID,
                                  to_payee=payees["payid"], amount=Decimal("95.00"))]),
            (ScheduledPayment(
                from_account=acc["jane_everyday"], nickname="Old gym",
                payer_reference="Gym", status=c.ScheduledPaymentStatus.INACTIVE,
                recurrence_utype=c.RecurrenceUType.INTERVAL_SCHEDULE,
                intervals=[{"interval": "P1W", "dayInInterval": "P2D"}]),
             [ScheduledPaymentSet(to_utype=c.ScheduledPaymentToUType.PAYEE_ID,
                                  to_payee=payees["wallet"], amount=Decimal("19.95"))]),
        ]
        for scheduled, sets in schedules:
            self._saved(scheduled)
            for position, payment_set in enumerate(sets):
                payment_set.scheduled_payment = scheduled
                payment_set.position = payment_set.position or position
                self._saved(payment_set)

    # --- generated customers ----------------------------------------------------------

    FIRST = ["Olivia", "Noah", "Charlotte", "Oliver", "Amelia", "William", "Isla", "Jack",
             "Mia", "Leo", "Ava", "Lucas", "Grace", "Henry", "Chloe", "Thomas", "Zara", "Kai"]
    LAST = ["Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson",
            "Martin", "White", "Anderson", "Walker", "Tran", "Chen", "Singh", "Kelly"]

    def seed_generated(self, count: int) -> None:
        for start in range(0, count, CUSTOMER_CHUNK):
            self._generated_chunk(start, min(CUSTOMER_CHUNK, count - start))

    def _generated_chunk(self, start: int, size: int) -> None:
        rng = self.rng
        customers = [
            Customer(customer_type=c.CustomerType.PERSON, first_name=rng.choice(self.FIRST),
                     last_name=rng.choice(self.LAST),
                     last_update_time=self.window_end - timedelta(days=rng.randint(1, 400)))
            for _ in range(size)
        ]
        Customer.objects.bulk_create(customers, batch_size=BATCH_SIZE)
        # Generated customers get a login with an unusable password (a staff member can
        # set one); only the fixed cast has passwords in the credentials file.
        User.objects.bulk_create([
            User(username=f"customer{start + i + 1:06d}", customer=customer,
                 password=make_password(None))
            for i, customer in enumerate(customers)
        ], batch_size=BATCH_SIZE)
        plans: list[PlannedAccount] = []
        for customer in customers:
            name = f"{customer.first_name} {customer.last_name}".upper()
            group = [
                self._plan("everyday", "everyday", self._account("everyday", "Everyday Account"),
                           [customer], links={"savings": "saver", "card": "card"},
                           context={"name": name}),
                self._plan("saver", "savings", self._account("saver", "Bonus Saver"),
                           [customer], links={"everyday": "everyday"}, floor=(500, 15000)),
                self._plan("card", "credit_card",
                           self._account("platinum_card", "Platinum Rewards Visa"),
                           [customer], kind="credit", credit_limit=Decimal("6000")),
            ]
            self._activity(group)
            plans.extend(group)
        self._insert_transactions(self._save_plans(plans))


def seed_run(*, seed: int, as_of: date, customers: int, transactions_per_account: int | None,
             brand: str, brand_name: str) -> SeedResult:
    """Create the whole demo bank. The caller wraps this in a transaction and audits it."""
    seeder = Seeder(seed=seed, as_of=as_of, transactions_per_account=transactions_per_account,
                    brand=brand, brand_name=brand_name)
    now = seeder.window_end
    seeder.products = catalogue_create(rng=seeder.rng, brand=brand, brand_name=brand_name,
                                       now=now)
    seeder.seed_cast()
    seeder.seed_generated(customers)
    seeder._login(STAFF_USERNAME, None, "Demo bank administrator", staff=True)
    counts = {
        "products": Product.objects.count(),
        "customers": Customer.objects.count(),
        "users": User.objects.count(),
        "accounts": Account.objects.count(),
        "transactions": seeder.transaction_count,
        "payees": Payee.objects.count(),
        "direct_debits": DirectDebit.objects.count(),
        "scheduled_payments": ScheduledPayment.objects.count(),
        "instalment_plans": InstalmentPlan.objects.count(),
    }
    return SeedResult(counts=counts, credentials=seeder.credentials)


def demo_data_exists() -> bool:
    return (Product.objects.exists() or Customer.objects.exists()
            or User.objects.filter(username=STAFF_USERNAME).exists())


def demo_data_delete() -> None:
    """Wipe everything the seed creates, children first (PROTECT keys make order matter).

    Transactions go first in one DELETE: nothing references them, so Django issues a
    single statement instead of loading a million rows.
    """
    Transaction.objects.all().delete()
    ScheduledPaymentSet.objects.all().delete()
    ScheduledPayment.objects.all().delete()
    DirectDebit.objects.all().delete()
    InstalmentPlan.objects.all().delete()
    Payee.objects.all().delete()
    LoanDetail.offset_accounts.through.objects.all().delete()
    Account.objects.all().delete()
    User.objects.filter(models.Q(customer__isnull=False) | models.Q(username=STAFF_USERNAME)
                        ).delete()
    Customer.objects.all().delete()
    Product.objects.all().delete()
