"""The data-recipient test client: `bank-client` (bank_client/cli.py)."""
