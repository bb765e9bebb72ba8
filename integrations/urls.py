"""Staff pages of the integrations app (connect buttons, test connection, timelines)."""
from django.urls import path

from .connectors.salesforce import views as salesforce_views

app_name = "integrations"
urlpatterns: list = [
    path("salesforce/<int:pk>/connect/", salesforce_views.connect_start, name="salesforce-connect"),
    path("salesforce/<int:pk>/test/", salesforce_views.connection_test, name="salesforce-test"),
]
