"""Staff pages of the integrations app (connect buttons, test connection, timelines)."""
from django.urls import path

from .connectors.freshbooks import views as freshbooks_views

app_name = "integrations"
urlpatterns: list = [
    path("freshbooks/<int:connection_id>/connect/", freshbooks_views.connect_start, name="freshbooks-connect"),
]
