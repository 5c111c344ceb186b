"""Per-client rate limits: the traffic rules, one limiter on Redis (or process memory), and
the two places requests meet it (the CDR API's DRF throttle, a middleware for the rest).

Why not django-ratelimit: its fixed windows serve twice the limit across a window edge
(measured: rate "10/m" on Redis served 20 of 20 calls within 326 ms at the edge), it checks
one limit per call (a request refused by its customer's limit has already spent its software
product's), and it does not say when to retry. The rules here need bursts, an exact
`Retry-After`, quotas per session and per calendar day, and several limits checked and spent
together, atomically, by every worker: a GCRA token bucket and counters in one Redis script.
"""
