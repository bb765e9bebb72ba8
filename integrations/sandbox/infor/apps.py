from django.apps import AppConfig


class SandboxInforConfig(AppConfig):
    name = "integrations.sandbox.infor"
    label = "sandbox_infor"
    verbose_name = "Sandbox: Infor M3 simulator"
