"""Settings: base.py holds every secure default; dev/test/prod overlay it (STYLE.md §8)."""
