"""A worker machine's one process: the supervisor of a django-q2 cluster (integrations/cluster/).

It runs the cluster as a child process group and restarts it when it wedges or dies, and itself
runs the due-time dispatcher, the sweeper and alert evaluation. SIGTERM or Ctrl-C stops it all
within Q_TIMEOUT.
"""
from django.conf import settings
from django.core.management.base import BaseCommand

from integrations.cluster.supervisor import Supervisor


class Command(BaseCommand):
    help = "Run a self-healing worker cluster (django-q2's qcluster under a supervisor) with its dispatcher and sweeper."

    def handle(self, *args, **options):
        settings.SECRET_KEY  # noqa: B018  (as qcluster: refuse to start without the signing key)
        Supervisor().run()
