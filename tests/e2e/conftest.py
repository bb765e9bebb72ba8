from tests.flows.conftest import world  # noqa: F401
from tests.sandbox.freshbooks.fixtures import fb, fb_connection  # noqa: F401
from tests.sandbox.salesforce.fixtures import sf_app, sf_connection, sf_connection_unconnected, sf_root  # noqa: F401
