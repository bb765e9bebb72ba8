"""Staff pages of monitoring: thin views over monitoring.dashboard."""
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone

from config.staff_views import staff_permission_required

from .anomalies.runner import check_explanations
from .dashboard import dashboard_build
from .windows import WINDOWS


# The dashboard is drawn from the hourly rollups: who may read those may read it.
@staff_permission_required("monitoring.view_flowhourstat")
def dashboard(request):
    data = dashboard_build(window_key=request.GET.get("window", ""), now=timezone.now())
    context = {
        **admin.site.each_context(request),
        "title": "Sync dashboard",
        "windows": [(key, label) for key, (label, _) in WINDOWS.items()],
        "chart_data": {"series": data["series"], "latency": data["latency"]},
        "checks": check_explanations(),
        **data,
    }
    return TemplateResponse(request, "monitoring/dashboard.html", context)
