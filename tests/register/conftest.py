"""Fixtures of the Register tests: the harness's fixtures, for every module here."""

from tests.register.harness import (  # noqa: F401  (pytest fixtures)
    make_recipient,
    recipient,
    register_env,
    register_keys_dir,
)
