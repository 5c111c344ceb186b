"""Security monitoring: a detector over the audit trail and the request metrics, and alerts.

- `rules/`: one module per kind of pattern; each rule looks back over a sliding window
  (thresholds in settings.BANK_MONITORING) in a fixed number of queries, however many
  candidates it finds, each candidate carrying the evidence it is measured with.
- `detector.py`: `rule_run()` runs one windowed rule (Celery beat queues one task per rule
  every minute, so a slow or failing rule holds up no other), `detector_run()` all of them in
  turn, and an inline check on each new audit event of the few types that cannot wait (a
  revoked access token used, a refresh token revoked or presented by another client).
- `services.py`: a finding becomes an `Alert`: one row per ongoing pattern (its dedupe key),
  whose count and last_seen grow; a WARNING line on `bank.security.alert`; the notifiers.
- `notifiers.py`: BANK_ALERT_NOTIFIERS, dotted paths of `notify(alert)` callables (log, webhook).
"""
