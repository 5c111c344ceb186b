"""`manage.py staff_roles`: create or reset the staff groups to security/staff/roles.py."""

from typing import Any

from django.core.management.base import BaseCommand

from security.staff.roles import roles_apply


class Command(BaseCommand):
    help = "Create the staff groups (support, security, key_custodian, administrator) and set " \
           "each to exactly its role's permissions."

    def handle(self, *args: Any, **options: Any) -> None:
        for role, missing in roles_apply().items():
            note = f" (not declared yet: {', '.join(missing)})" if missing else ""
            self.stdout.write(f"{role}: applied{note}")
