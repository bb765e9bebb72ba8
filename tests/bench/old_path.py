"""The benchmarks' "before" path, served by the same server in the same run as the "after" one.

``EagerHealthCheck``: a request carrying ``X-Bench-Old-Path`` checks the database connection up
front with Django's own ``SELECT 1`` (CONN_HEALTH_CHECKS), as every webhook did before the
receiver let its INSERT be the check (integrations/triggers/webhooks/database.py)."""
from django.db import connection

OLD_PATH_HEADER = "X-Bench-Old-Path"


class EagerHealthCheck:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if OLD_PATH_HEADER in request.headers:
            connection.close_if_health_check_failed()
        return self.get_response(request)
