from tests.sandbox.salesforce.fixtures import sf, sf_app, sf_connection, sf_connection_unconnected, sf_root  # noqa: F401
from tests.sandbox.salesforce.pubsub_harness import pubsub  # noqa: F401
