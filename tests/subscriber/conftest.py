from tests.live_http import close_http_sessions  # noqa: F401
from tests.sandbox.salesforce.fixtures import sf_app, sf_connection, sf_connection_unconnected, sf_root  # noqa: F401
