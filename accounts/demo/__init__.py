"""Demo data for the embedded bank (used by `manage.py seed_demo`, never in production)."""
