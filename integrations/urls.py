"""Staff pages of the integrations app (connect buttons, test connection, reconciliation, timelines)."""
from django.urls import path

from integrations import views
from integrations.connectors.freshbooks import views as freshbooks_views
from integrations.connectors.salesforce import views as salesforce_views

app_name = "integrations"
urlpatterns = [
    path("freshbooks/<int:connection_id>/connect/", freshbooks_views.connect_start, name="freshbooks-connect"),
    path("salesforce/<int:pk>/connect/", salesforce_views.connect_start, name="salesforce-connect"),
    path("salesforce/<int:pk>/test/", salesforce_views.connection_test, name="salesforce-test"),
    path("timeline/<int:binding_id>/", views.timeline_binding, name="timeline"),
    path("timeline/entity/<int:entity_id>/", views.timeline_entity, name="timeline_entity"),
    path("reconcile/", views.reconcile_page, name="reconcile"),
    path("reconcile/<int:flow_id>/run/", views.reconcile_run, name="reconcile_run"),
    path("bindings/<int:binding_id>/resync/", views.binding_resync, name="binding_resync"),
]
