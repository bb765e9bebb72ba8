"""/sandbox/: simulators of every external system, served by Ledgerlink itself."""
from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path("", TemplateView.as_view(template_name="sandbox/index.html"), name="sandbox-index"),
    path("freshbooks/", include("integrations.sandbox.freshbooks.urls")),
    path("salesforce/", include("integrations.sandbox.salesforce.urls")),
    path("infor/", include("integrations.sandbox.infor.urls")),
    path("shop/", include("integrations.sandbox.shop.urls")),
]
