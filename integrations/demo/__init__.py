"""Demo wiring: connections to the simulators, default flows and mappings (``ledgerlink_setup``
runs these steps with the sandbox on). The only package that may import both the product and
the simulators.

DEMO_STEPS: dotted paths to callables taking (write: Callable[[str], None]), run in order.
"""

DEMO_STEPS: list[str] = [
    "mappings.setup.default_config_load",
    "integrations.demo.salesforce.salesforce_sandbox_connect",
    "integrations.demo.freshbooks.freshbooks_sandbox_connect",
    "integrations.demo.infor.infor_sandbox_connection_ensure",
    "integrations.demo.shop.shop_sandbox_connections_ensure",
    "integrations.demo.flows.infor_flows_demo_ensure",
    "integrations.demo.flows.flows_sandbox_ensure",
]
