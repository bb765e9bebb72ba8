"""The probes of the public URL contract: ``/healthz``, ``/readyz`` and ``/metrics``.

Not staff pages: no session, no named permission. ``/healthz`` and ``/readyz`` say only which
check failed (masked); ``/metrics`` needs its bearer token or an allowed address. They are served
before host validation and the https redirect too (``config.probes.ProbeMiddleware``), since an
orchestrator probes a container by its internal address over plain http.
"""
from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from integrations.operations.metrics import metrics_render
from integrations.operations.metrics_access import metrics_refusal
from integrations.operations.readiness import readiness_report


@never_cache
def healthz(request):
    """The process is up and answers: no database, no broker (a liveness probe restarts on failure)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    report = readiness_report()
    return JsonResponse({"status": "ok" if report["ready"] else "unavailable", **report},
                        status=200 if report["ready"] else 503)


@never_cache
def metrics(request):
    refusal = metrics_refusal(request)
    if refusal is not None:
        status, why = refusal
        response = HttpResponse(why + "\n", status=status, content_type="text/plain")
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_render(), content_type=CONTENT_TYPE_LATEST)


# path → view, for config/urls.py and the probe middleware alike.
PROBES = {"healthz": healthz, "readyz": readyz, "metrics": metrics}
