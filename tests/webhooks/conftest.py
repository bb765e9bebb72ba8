import pytest

from tests.factories import ConnectionFactory

SECRET = "shpss_test_secret_0123456789"


@pytest.fixture
def shop_connection(db):
    def make(system):
        connection = ConnectionFactory(system=system, base_url="", auth_kind="shared_secret")
        connection.set_secrets(webhook_secret=SECRET)
        connection.save()
        return connection
    return make
