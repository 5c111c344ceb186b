"""`python -m bank_client`: the same as the `bank-client` command."""

import sys

from bank_client.cli import main

sys.exit(main())
