import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from config.crypto import EncryptionKeyError, secret_decrypt, secret_encrypt
from integrations.models import Connection
from tests.factories import ConnectionFactory

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def test_round_trip_and_ciphertext_hides_the_value(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    token = secret_encrypt({"refresh_token": "canary-123"})
    assert "canary-123" not in token
    assert secret_decrypt(token) == {"refresh_token": "canary-123"}


@pytest.mark.django_db
def test_connection_secrets_are_encrypted_in_the_database(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    connection = ConnectionFactory()
    connection.set_secrets(client_secret="s3cret-canary", access_token="tok")
    connection.save()
    raw = Connection.objects.filter(pk=connection.pk).values_list("secrets_encrypted", flat=True).get()
    assert "s3cret-canary" not in raw
    fresh = Connection.objects.get(pk=connection.pk)
    assert fresh.get_secret("client_secret") == "s3cret-canary"
    fresh.set_secrets(access_token=None)
    assert fresh.secret_names() == ["client_secret"]


def test_wrong_key_raises_naming_the_variable(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    token = secret_encrypt({"x": "y"})
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(EncryptionKeyError, match="FIELD_ENCRYPTION_KEYS"):
        secret_decrypt(token)


@pytest.mark.parametrize("keys, message", [([], "FIELD_ENCRYPTION_KEYS is not set"),
                                           (["not-a-key"], "FIELD_ENCRYPTION_KEYS key #1 is not a valid")])
def test_missing_or_malformed_key_is_a_clear_error(settings, keys, message):
    settings.FIELD_ENCRYPTION_KEYS = keys
    with pytest.raises(EncryptionKeyError, match=message):
        secret_encrypt({"x": "y"})


@pytest.mark.django_db
def test_key_rotation_reencrypts_every_row(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    connections = [ConnectionFactory() for _ in range(3)]
    for n, connection in enumerate(connections):
        connection.set_secrets(refresh_token=f"rt-{n}")
        connection.save()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]  # new key first, old key kept for reading
    call_command("encryption_rotate", stdout=open("/dev/null", "w"))
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # old key removed: everything still readable
    assert [Connection.objects.get(pk=c.pk).get_secret("refresh_token") for c in connections] == ["rt-0", "rt-1", "rt-2"]


@pytest.mark.django_db
def test_rotation_with_an_unknown_key_changes_nothing(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    good = ConnectionFactory()
    good.set_secrets(refresh_token="keep")
    good.save()
    before = Connection.objects.values_list("secrets_encrypted", flat=True).get(pk=good.pk)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(EncryptionKeyError):
        call_command("encryption_rotate")
    assert Connection.objects.values_list("secrets_encrypted", flat=True).get(pk=good.pk) == before
