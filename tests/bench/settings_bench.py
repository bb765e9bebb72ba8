"""Settings of the servers the benchmarks start: the app's own settings, plus one trivial view
(the baseline the webhook receiver is compared with, served by the same server in the same run)."""
from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "tests.bench.urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
Q_CLUSTER = {**Q_CLUSTER, "log_level": "WARNING"}  # noqa: F405  (no INFO line per enqueued task)
MIDDLEWARE = [*MIDDLEWARE, "tests.bench.old_path.EagerHealthCheck"]  # noqa: F405  (only with its header)
