"""The seeded demo bank, its grants and CDR calls (tests/resources), for driving the real
producers of the events the detector reads."""

from tests.resources.conftest import (  # noqa: F401  (fixtures, re-exported for this package)
    bank,
    cdr,
    grant,
    make_product,
    product,
    seeded_bank,
)
