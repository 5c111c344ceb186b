"""Security monitoring: a detector over the audit trail and the request metrics, and alerts.

- `rules/`: one module per kind of pattern; each rule looks back over a sliding window
  (thresholds in settings.BANK_MONITORING) with one grouped aggregate query, then measures
  each candidate it found.
- `detector.py`: `detector_run()` runs every windowed rule (Celery beat, every minute), and an
  inline check on each new audit event of the few types that cannot wait (a revoked token used).
- `services.py`: a finding becomes an `Alert`: one row per ongoing pattern (its dedupe key),
  whose count and last_seen grow; a WARNING line on `bank.security.alert`; the notifiers.
- `notifiers.py`: BANK_ALERT_NOTIFIERS, dotted paths of `notify(alert)` callables (log, webhook).
"""
