"""prod-local's seeding step only: the production settings, with seed_demo's guard relaxed.

`manage.py seed_demo` refuses anything but dev and test (it creates known logins and fake
customers). prod-local is a demonstration machine running the production settings, so its
`run` script seeds once with this module (DJANGO_SETTINGS_MODULE=seed_settings, this directory
on PYTHONPATH): every setting is prod's (PostgreSQL, the HSM, the resource-ID key), so the
rows are encrypted and keyed exactly as the serving processes read them. No serving process
ever runs with it.
"""

from bank.settings.prod import *  # noqa: F403

BANK_ENVIRONMENT = "dev"
