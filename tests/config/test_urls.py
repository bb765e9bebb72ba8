"""The public URL contract of PRODUCT.md."""
import pytest
from django.urls import resolve


@pytest.mark.parametrize("path", [
    "/admin/", "/api/schema/", "/api/webhooks/salesforce/1/", "/sandbox/", "/sandbox/salesforce/",
])
def test_contract_paths_resolve(path):
    resolve(path)


@pytest.mark.django_db
def test_openapi_schema_is_served_and_lists_the_receivers(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "openapi" in body and "/api/webhooks/salesforce/{connection_id}/" in body
