from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Staff sign-in with a second factor, the admin's MFA gate, roles and unmasking."""

    name = "security.staff"
    label = "staff"
    verbose_name = "Staff console"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from security.staff.roles import roles_apply_after_migrate

        # Connected here, after django.contrib.auth's own receiver (auth is earlier in
        # INSTALLED_APPS), so the permissions exist when the roles are applied.
        post_migrate.connect(roles_apply_after_migrate, dispatch_uid="staff_roles_apply")
