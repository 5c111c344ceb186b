"""Console searches through blind indexes: each one asks whether a value (an email address,
an account number) belongs to someone, so each is limited, needs a term long enough not to be
a guess, and is audited (the model, the kind, whether it matched; never the term).

One door for every ModelAdmin that searches a blind index (accounts/admin.py,
transactions/admin.py); independent review of issue 9, finding 11.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest

from security.audit import Actor, ActorType, Outcome, audit_record
from security.staff.limits import staff_search_allowed

STAFF_SEARCH_RUN = "STAFF_SEARCH_RUN"
STAFF_SEARCH_REFUSED = "STAFF_SEARCH_REFUSED"
#: Shortest term searched: a full email address has more; an account number has 6 to 10
#: digits. Shorter terms are refused rather than run (they would only be guesses).
MIN_TERM_LENGTH = 6


def blind_index_search(request: HttpRequest, *, model: str, kind: str, term: str,
                       run: Callable[[], QuerySet]) -> QuerySet | None:
    """The search's results, or None if it was refused (too short, over the limit)."""
    user_id = str(getattr(request.user, "pk", "") or "")
    actor = Actor(ActorType.STAFF, user_id)
    reason = ""
    if len(term) < MIN_TERM_LENGTH:
        reason = "too_short"
    elif not staff_search_allowed(user_id=int(user_id or 0)):
        reason = "rate_limited"
    if reason:
        audit_record(actor=actor, event_type=STAFF_SEARCH_REFUSED, outcome=Outcome.DENIED,
                     subject_type=model, detail={"kind": kind, "reason": reason})
        messages.warning(request, "That search was not run: an exact, complete value is needed"
                         if reason == "too_short" else
                         "That search was not run: too many searches, try again later.")
        return None
    results = run()
    audit_record(actor=actor, event_type=STAFF_SEARCH_RUN, subject_type=model,
                 detail={"kind": kind, "matched": results.exists()})
    return results
