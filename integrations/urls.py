"""Staff pages of the integrations app: each system's own (its "Connect" flow, a test page, from
its connector), then record search, reconciliation, timelines and resync."""
from django.urls import path

from integrations import views
from integrations.connectors.registry import CONNECTORS

app_name = "integrations"
urlpatterns = [
    *(pattern for connector in CONNECTORS.values() for pattern in connector.staff_urls),
    path("search/", views.records_search_page, name="records_search"),
    path("timeline/<int:binding_id>/", views.timeline_binding, name="timeline"),
    path("timeline/entity/<int:entity_id>/", views.timeline_entity, name="timeline_entity"),
    path("reconcile/", views.reconcile_page, name="reconcile"),
    path("reconcile/<int:flow_id>/run/", views.reconcile_run, name="reconcile_run"),
    path("bindings/<int:binding_id>/resync/", views.binding_resync, name="binding_resync"),
    path("connections/<int:connection_id>/describe/", views.connection_describe, name="connection_describe"),
]
