"""The bank's own OpenAPI 3 document (drf-spectacular), and Swagger UI / Redoc to read it.

Served at GET /api/schema (YAML; JSON with `?format=json` or Accept), /api/docs/ (Swagger UI)
and /api/redoc/ (Redoc), on the public listener, from local static files only
(drf-spectacular-sidecar); `manage.py spectacular --validate --fail-on-warn --file x.yaml`
writes it to a file.

Design: paths from the code, shapes from the standard.

- **Operations are generated from the DRF views** the URLconf routes (drf-spectacular's
  enumerator, CdrAutoSchema in schema.py): the path and method, the versions the view serves
  (`versions` / `method_versions` -> `x-version`, `x-supported-versions`, the `x-v`
  description), the query parameters it accepts (its allow-list, plus `page`/`page-size`
  when paginated), the CDR headers (x-v, x-min-v, x-fapi-interaction-id everywhere;
  x-fapi-auth-date, x-fapi-customer-ip-address, x-cds-client-headers where the customer's
  token is read), the security (extensions.py: the customer's certificate-bound token with
  the view's `required_scopes`, or the Register's token) and the error statuses the bank adds
  (401/403 with a token, 429 everywhere, 415 on POST).
- **Shapes come from the standard**: the official CDS 1.36.0 operation at the same path and
  method (official.py, reading the vendored copies in cdr_spec/) gives the operationId, the
  descriptions, the parameter schemas, the request and response bodies ({data, links, meta}
  and ResponseErrorListV2) and the error statuses it lists. The bank's serializers are not
  introspected: their output is proven against these very schemas by the endpoint tests
  (tests/cdr_schema.py validates every response, with no undeclared property allowed), so
  the document states the contract those tests enforce. Older versions a view still serves
  (v2 of Get Accounts...) are named, with the standard's link to their obsolete page; their
  bodies are not repeated here.
- A route the standard does not have, or a query parameter it does not define, is a
  drf-spectacular error, so `--fail-on-warn` (and tests/openapi) fail on it.
- The authorization server (security/oauth: plain Django views) is described by hand in
  oauth_paths.py and added by the postprocessing hook (hooks.py), which also sets the servers
  (public and mTLS base URLs from settings; each path on the listener that serves it) and
  copies in the official components the operations refer to.

tests/openapi compares the document with the official files (paths, methods, parameters,
security scopes, versions, error statuses, and every response and request body resolved and
compared structurally) in both directions.
"""
