"""Staff SSO: linking an IdP subject to a user, the sign-in's audit events, and the admin
gate's check of an "oidc" second-factor marker."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from security.audit import Actor, ActorType, Outcome, audit_record
from security.staff_sso.models import StaffIdentity

STAFF_IDENTITY_LINKED = "STAFF_IDENTITY_LINKED"
STAFF_LOGIN_SUCCEEDED = "STAFF_LOGIN_SUCCEEDED"
STAFF_SSO_REFUSED = "STAFF_SSO_REFUSED"


@transaction.atomic
def staff_identity_link(*, user: AbstractBaseUser, issuer: str, subject: str,
                        actor: Actor) -> StaffIdentity:
    """Let `subject` at `issuer` sign in as `user` (who must be staff)."""
    identity = StaffIdentity(user_id=user.pk, issuer=issuer, subject=subject)
    identity.full_clean()
    identity.save()
    audit_record(actor=actor, event_type=STAFF_IDENTITY_LINKED,
                 subject_type="staff_sso.staffidentity", subject_id=identity.pk,
                 detail={"user_id": user.pk})
    return identity


def staff_sso_login_record(*, user: AbstractBaseUser, identity_id: int, step_up: bool,
                           source_ip: str | None) -> None:
    audit_record(actor=Actor(ActorType.STAFF, str(user.pk)), event_type=STAFF_LOGIN_SUCCEEDED,
                 subject_type="staff_sso.staffidentity", subject_id=identity_id,
                 source_ip=source_ip, detail={"method": "oidc", "step_up": step_up})


def staff_sso_refusal_record(*, reason: str, user_id: int | None, step_up: bool,
                             source_ip: str | None) -> None:
    actor = (Actor(ActorType.STAFF, str(user_id)) if user_id is not None
             else Actor(ActorType.ANONYMOUS))
    audit_record(actor=actor, event_type=STAFF_SSO_REFUSED, outcome=Outcome.DENIED,
                 source_ip=source_ip, detail={"method": "oidc", "reason": reason,
                                              "step_up": step_up})


def oidc_marker_valid(request: HttpRequest, marker: dict[str, Any]) -> bool:
    """Whether an "oidc" marker still stands: the StaffIdentity it was signed in through
    still exists and maps to this request's user, who is still active staff.

    Deleting the mapping (or moving it to another user) ends the SSO sessions it opened at
    their next request. A marker without the ids (written before they were added) fails.
    """
    user = getattr(request, "user", None)
    user_id, identity_id = marker.get("user"), marker.get("identity")
    if (user is None or not user.is_authenticated or not (user.is_active and user.is_staff)
            or type(user_id) is not int or type(identity_id) is not int  # not bool either
            or user_id != user.pk):
        return False
    return StaffIdentity.objects.filter(pk=identity_id, user_id=user.pk).exists()
