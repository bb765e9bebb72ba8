"""A worker cluster: django-q2's qcluster plus the due-time dispatcher (integrations/sync/wakeups.py).

What every worker machine runs instead of plain ``qcluster``: the cluster's processes start as
qcluster starts them, and this process, idle in qcluster once its sentinel is up, runs the loop
that hands parked items (retries, waits for a lock) to the workers on time. SIGTERM or Ctrl-C stops
the cluster as qcluster does (django-q2's own handler), and with it the loop.
"""
from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.cluster import Cluster

from integrations.sync.wakeups import wakeups_run


class Command(BaseCommand):
    help = "Run a worker cluster (django-q2's qcluster) with its due-time dispatcher for retries."

    def handle(self, *args, **options):
        settings.SECRET_KEY  # noqa: B018  (as qcluster: refuse to start without the signing key)
        cluster = Cluster()
        cluster.start()  # forks the sentinel (and through it the workers) before the loop opens a connection
        wakeups_run(keep_going=lambda: cluster.sentinel is not None and cluster.sentinel.is_alive()
                    and not (cluster.stop_event and cluster.stop_event.is_set()))
        cluster.stop()
