from tests.sandbox.freshbooks.fixtures import fb, fb_client, fb_connection  # noqa: F401
