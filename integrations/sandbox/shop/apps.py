from django.apps import AppConfig


class SandboxShopConfig(AppConfig):
    name = "integrations.sandbox.shop"
    label = "sandbox_shop"
    verbose_name = "Sandbox: Shop simulator"
