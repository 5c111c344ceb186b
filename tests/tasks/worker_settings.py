"""Settings of the Celery worker and beat that tests/tasks/test_worker.py starts.

The test settings, except that tasks go through the broker instead of running in-process
(beat would otherwise run them itself), on this run's own queue (another run on the same
RabbitMQ cannot take its messages), and, on the filesystem transport, in this run's own
folders (never the demo's var/broker).
"""

from bank.settings.env import env
from bank.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = env.str("BANK_TEST_CELERY_QUEUE")
_broker_dir = env.str("BANK_TEST_BROKER_DIR", default="")
if _broker_dir:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker_dir,
        "data_folder_out": _broker_dir,
        "processed_folder": f"{_broker_dir}/processed",
        "control_folder": f"{_broker_dir}/control",
    }
