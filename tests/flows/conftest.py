import pytest

from tests.flows.world import world_make
from tests.live_http import close_http_sessions  # noqa: F401  (autouse)
from tests.sandbox.freshbooks.fixtures import fb, fb_connection  # noqa: F401
from tests.sandbox.salesforce.fixtures import sf_app, sf_connection, sf_connection_unconnected, sf_root  # noqa: F401


@pytest.fixture
def world(sf_connection, fb, fb_connection):  # noqa: F811  (the fixtures imported above)
    return world_make(sf_connection=sf_connection, fb_sandbox=fb, fb_connection=fb_connection)
