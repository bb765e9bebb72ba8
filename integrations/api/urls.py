"""The operations API (docs/operations-api.md), under /api/operations/."""
from django.urls import path

from integrations.api import views

app_name = "operations-api"
urlpatterns = [
    path("items/", views.ItemList.as_view(), name="items"),
    path("items/<int:pk>/", views.ItemDetail.as_view(), name="item"),
    path("items/<int:pk>/replay/", views.ItemReplay.as_view(), name="item-replay"),
    path("items/<int:pk>/resolve/", views.ItemResolve.as_view(), name="item-resolve"),
    path("causes/", views.CauseList.as_view(), name="causes"),
    path("timeline/<int:entity_id>/", views.DealTimeline.as_view(), name="timeline"),
]
