from django.apps import AppConfig


class SandboxSalesforceConfig(AppConfig):
    name = "integrations.sandbox.salesforce"
    label = "sandbox_salesforce"
    verbose_name = "Sandbox: Salesforce simulator"
