"""AccessContext: who is asking, for whom, and what they may see, resolved once per request.

Authenticated views receive it as `request.cdr`; every selector over customer data takes it
as a required keyword argument, so no query can forget whose data it reads (STYLE.md §2).
It holds identifiers only, no model instances, so `accounts` and `transactions` depend on
this small type and not on the authorization server behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

from security.resource_ids import ResourceIds


@dataclass(frozen=True, slots=True)
class AccessContext:
    customer_id: int
    #: The CDR Register's ID of the data recipient software product (the token's client).
    software_product_id: str
    #: Our row key of the CDR arrangement (never the cdr_arrangement_id, which is a secret-ish
    #: handle the recipient holds).
    arrangement_pk: int
    scopes: frozenset[str]
    #: Internal keys of the accounts the customer selected for this arrangement.
    account_ids: frozenset[int]
    #: `x-fapi-customer-ip-address` was sent: a customer-present call (NFR definitions).
    customer_present: bool
    #: RFC 8705 `x5t#S256` of the client certificate the token is bound to ('' if unbound).
    certificate_thumbprint: str
    ids: ResourceIds

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
