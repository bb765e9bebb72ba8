"""/sandbox/infor/: the ION API Gateway simulator (tenant paths) and its browser page."""
from django.urls import path, re_path

from . import page, views

urlpatterns = [
    path("", page.index, name="sandbox-infor-index"),
    path("ionapi/", page.ionapi_download, name="sandbox-infor-ionapi"),
    path("orders/<int:pk>/<str:action>/", page.order_action, name="sandbox-infor-order-action"),
    path("faults/", page.fault_add, name="sandbox-infor-fault-add"),
    path("faults/clear/", page.faults_clear, name="sandbox-infor-faults-clear"),
    path("tokens/expire/", page.tokens_expire, name="sandbox-infor-tokens-expire"),
    path("<str:tenant>/as/token.oauth2", views.token, name="sandbox-infor-token"),
    path("<str:tenant>/as/revoke_token.oauth2", views.revoke, name="sandbox-infor-revoke"),
    # Matrix parameters (;maxrecs=0;returncols=…) ride on the last path segment, as clients send them.
    re_path(r"^(?P<tenant>[^/]+)/M3/m3api-rest/v2/execute/(?P<program>[^/;]+)/(?P<txn>[^/;]+)(?P<matrix>(;[^/]*)?)$",
            views.execute_one, name="sandbox-infor-execute"),
    re_path(r"^(?P<tenant>[^/]+)/M3/m3api-rest/v2/execute(?:/(?P<program>[^/;]+))?(?P<matrix>(;[^/]*)?)/?$",
            views.execute_bulk, name="sandbox-infor-execute-bulk"),
]
