from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from integrations.probes import PROBES

urlpatterns = [
    path("security/2fa/", include("config.security.urls")),
    path("admin/", admin.site.urls),
    path("api/webhooks/", include("integrations.triggers.webhooks.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/operations/", include("integrations.api.urls")),
    path("connect/", include("social_django.urls", namespace="social")),
    path("integrations/", include("integrations.urls")),
    path("monitoring/", include("monitoring.urls")),
    # Probes of the public URL contract (PRODUCT.md): liveness, readiness, Prometheus metrics.
    *(path(route, view, name=route) for route, view in PROBES.items()),
]
if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("integrations.sandbox.urls")))
