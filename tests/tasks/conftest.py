"""Fixtures of the task tests: the mock Register harness (for the status poll)."""

from tests.register.harness import (  # noqa: F401  (pytest fixtures)
    make_recipient,
    recipient,
    register_env,
    register_keys_dir,
)
