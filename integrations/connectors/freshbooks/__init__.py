"""FreshBooks connector: OAuth (oauth.py), the API client (client.py, resources.py,
callbacks.py), error reading (errors.py), values (values.py) and the webhook signature
check (webhooks.py)."""
