"""System checks for settings that would silently break delivery guarantees."""
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning


@register(Tags.compatibility, deploy=False)
def q_cluster_safety(app_configs, **kwargs):
    conf = getattr(settings, "Q_CLUSTER", {})
    errors = []
    timeout, retry = conf.get("timeout"), conf.get("retry", 60)
    if timeout is None:
        errors.append(Error("Q_CLUSTER['timeout'] is not set: a hung task would hold a worker forever.",
                            hint="Set Q_TIMEOUT.", id="ledgerlink.E001"))
    elif retry <= timeout:
        errors.append(Error(
            f"Q_CLUSTER['retry'] ({retry}s) must be larger than 'timeout' ({timeout}s), or a slow task "
            "is delivered again while it still runs.", hint="Set Q_RETRY above Q_TIMEOUT.", id="ledgerlink.E002"))
    if not conf.get("max_attempts"):
        errors.append(Error("Q_CLUSTER['max_attempts'] must be a finite number (0 means retry forever).",
                            hint="Set Q_MAX_ATTEMPTS to 1 or more.", id="ledgerlink.E003"))
    return errors


@register(Tags.security, deploy=True)
def encryption_keys_present(app_configs, **kwargs):
    if not [k for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()]:
        return [Error("FIELD_ENCRYPTION_KEYS is empty: connection secrets cannot be stored.",
                      hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
                           "print(Fernet.generate_key().decode())'", id="ledgerlink.E010")]
    return []


@register(Tags.security, deploy=True)
def public_url_https(app_configs, **kwargs):
    """FreshBooks accepts only registered https redirect URIs (built from this URL), and webhook
    senders post to it: in production it must be https."""
    if not settings.PRODUCTION or settings.LEDGERLINK_PUBLIC_URL.lower().startswith("https://"):
        return []
    return [Error(f"LEDGERLINK_PUBLIC_URL ({settings.LEDGERLINK_PUBLIC_URL}) is not an https URL: FreshBooks "
                  "refuses OAuth redirect URIs that are not https, and webhooks would travel in clear.",
                  hint="Set LEDGERLINK_PUBLIC_URL to the https address the app is reached at.", id="ledgerlink.E020")]


@register(Tags.security, deploy=True)
def outbound_private_allowed(app_configs, **kwargs):
    if settings.PRODUCTION and settings.OUTBOUND_URLS_ALLOW_PRIVATE:
        return [CheckWarning("OUTBOUND_URLS_ALLOW_PRIVATE is on in production: connections and alert webhooks may "
                        "call plain http and private, loopback and link-local addresses.",
                        hint="Turn it off unless a system is reachable only on a private network.",
                        id="ledgerlink.W021")]
    return []
