"""`manage.py staff_identity_link USERNAME --subject SUB [--issuer URL] [--allow-superuser]`.

The only way to let an IdP subject sign in as a member of staff (the admin shows mappings
read-only): an operator on the server links them, and the link is audited
(STAFF_IDENTITY_LINKED). A superuser is break-glass and normally signs in with a password and
TOTP only, so mapping one needs --allow-superuser.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from security.audit import Actor
from security.staff_sso.services import staff_identity_link


class Command(BaseCommand):
    help = "Let an identity provider subject sign in to the staff console as a staff user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--subject", required=True,
                            help="The IdP's `sub` for this person (stable, unlike an email).")
        parser.add_argument("--issuer", default=None,
                            help="The IdP's issuer (default: BANK_STAFF_OIDC_ISSUER).")
        parser.add_argument("--allow-superuser", action="store_true",
                            help="Link even if the user is a superuser (break-glass account).")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        issuer = options["issuer"] or settings.BANK_STAFF_OIDC_ISSUER
        if not issuer:
            raise CommandError("No issuer: pass --issuer or set BANK_STAFF_OIDC_ISSUER.")
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None or not user.is_staff or not user.is_active:
            raise CommandError("No active staff account with that username.")
        if user.is_superuser and not options["allow_superuser"]:
            raise CommandError("That account is a superuser: refused without --allow-superuser.")
        try:
            identity = staff_identity_link(user=user, issuer=issuer, subject=options["subject"],
                                           actor=Actor.system("staff_identity_link"))
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            f"Linked: staff identity {identity.pk} signs in as {user.get_username()}.")
