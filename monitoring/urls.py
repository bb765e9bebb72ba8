from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
]
