"""Answer the probes (``/healthz``, ``/readyz``, ``/metrics``) before the rest of the middleware.

An orchestrator or Prometheus reaches a container by its internal name over plain http: through
the whole stack that would be refused by ALLOWED_HOSTS (400) or redirected to https (301, with
SECURE_SSL_REDIRECT). These paths build no URL from the Host header and set no cookie, so skipping
host validation and the redirect for them is safe; everything else goes through as before.
"""
from __future__ import annotations

from django.utils.module_loading import import_string

PROBES_MODULE = "integrations.probes.PROBES"


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.views = {f"/{path}": view for path, view in import_string(PROBES_MODULE).items()}

    def __call__(self, request):
        view = self.views.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
