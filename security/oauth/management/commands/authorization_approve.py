"""Decide a pending authorization from the command line (dev and test only).

    python manage.py authorization_approve --handle H --user jane.citizen [--accounts all|1,2]
    python manage.py authorization_approve --handle H --decline

Until the consent pages exist (the next issue), this drives the same hand-over interface they
will use (`security.oauth.authorization`), so a data recipient can run the whole flow against
the demo. It prints the URL the browser would be redirected to (the JARM response).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Account, User
from security.oauth.authorization import (
    AuthorizationError,
    authorization_decide,
)

ACR_MULTI_FACTOR = "urn:cds.au:cdr:3"


class Command(BaseCommand):
    help = "Approve or decline a pending authorization (dev/test stand-in for the consent pages)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--handle", required=True)
        parser.add_argument("--user", default="")
        parser.add_argument("--accounts", default="all", help="'all' or comma-separated keys")
        parser.add_argument("--decline", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.BANK_ENVIRONMENT not in {"dev", "test"}:
            raise CommandError("authorization_approve is for the demo and tests only.")
        user = None
        account_ids: list[int] = []
        if not options["decline"]:
            user = User.objects.filter(username=options["user"], customer__isnull=False).first()
            if user is None:
                raise CommandError("No such customer login.")
            held = Account.objects.filter(account_holders__customer=user.customer).order_by("id")
            if options["accounts"] == "all":
                account_ids = list(held.values_list("pk", flat=True))
            else:
                account_ids = [int(a) for a in options["accounts"].split(",") if a.strip()]
        try:
            url = authorization_decide(
                handle=options["handle"], user=user, approved=not options["decline"],
                account_ids=account_ids, acr=ACR_MULTI_FACTOR, auth_time=timezone.now(),
            )
        except AuthorizationError as exc:
            raise CommandError(f"The authorization cannot be decided: {exc}") from exc
        self.stdout.write(url)
