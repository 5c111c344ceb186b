"""The demo bank: a CDR (Consumer Data Right) banking data holder."""
