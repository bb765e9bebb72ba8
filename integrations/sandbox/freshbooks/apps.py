from django.apps import AppConfig


class SandboxFreshbooksConfig(AppConfig):
    name = "integrations.sandbox.freshbooks"
    label = "sandbox_freshbooks"
    verbose_name = "Sandbox: FreshBooks simulator"
