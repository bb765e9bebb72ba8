"""The one door of a system: what generic code (polling, reconciliation, the timeline, the
webhook URLs, the admin, mapping schemas, monitoring) may ask a system for.

Each ``connectors/<system>/connector.py`` subclasses ``Connector`` and fills in the parts
its system has; a part a system lacks stays None / empty and the generic code skips it.
The subclasses are listed in ``connectors/registry.py`` (``CONNECTORS``), nowhere else.
Parts are plain class attributes and static methods: the registry holds the classes, and
nothing needs an instance.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from integrations.connectors.changes import ChangeReader
from integrations.models import Binding, Connection


@dataclass(frozen=True)
class ConnectAction:
    """The admin's "Connect" button of a connection: its label and the URL name taking the connection id."""

    label: str
    url_name: str


def stored_link(binding: Binding) -> str | None:
    """The link a flow stored on the binding (``extra["url"]``, ``["link"]`` or ``["deep_link"]``)."""
    extra = binding.extra or {}
    return next((extra[k] for k in ("url", "link", "deep_link") if isinstance(extra.get(k), str) and extra[k]), None)


@dataclass(frozen=True)
class CredentialsUpload:
    """A credentials file the admin's connection form accepts for this system (e.g. an .ionapi file).

    ``check(text, connection=)`` raises ValueError with a sentence saying what to fix;
    ``apply(connection=, text=)`` puts the checked file on the (unsaved) connection.
    """

    field_name: str
    label: str
    help_text: str
    what: str  # "an .ionapi file": named when a file is too large to be one
    check: Callable[..., object]
    apply: Callable[..., object]
    max_bytes: int = 64 * 1024


class Connector:
    #: the Connection.System value this connector serves
    system: str = ""
    #: webhook receiver class (connectors/receiving.Receiver); None: the system sends no webhooks
    receiver: type | None = None
    #: URL name of the public webhook path /api/webhooks/<system>/<connection_id>/ (part of the public contract)
    webhook_url_name: str = ""
    #: change reader for polling (connectors/changes.ChangeReader), and per object type where a system
    #: reads its objects differently; None: the system (or that object) cannot be polled
    change_reader: ChangeReader | None = None
    change_readers: dict[str, ChangeReader] = {}
    #: object types of this system that are clients, and the fields holding their e-mail / organisation name
    #: (read from a binding's stored payload and extra fields by the duplicate-client check)
    client_object_types: tuple[str, ...] = ()
    duplicate_fields: dict[str, tuple[str, ...]] = {}
    #: the mapping schemas of this system's records (mappings.schemas.Schema)
    schemas: tuple = ()
    #: generic access to any of its objects by name (connectors/objects.py ObjectAccess), for the
    #: flows configured as data (flows/record_sync); None: the system offers none
    record_access = None
    #: the admin's "Connect" button, and the "Test connection" service ((connection=) -> a sentence)
    connect_action: ConnectAction | None = None
    credentials_upload: CredentialsUpload | None = None
    #: the system's staff pages (its "Connect" flow, a test page), mounted under /integrations/
    staff_urls: tuple = ()
    connection_test: Callable[..., str] | None = None
    #: the pre-flight checks ``(connection=, needs=) -> list[CheckResult]`` (connectors/preflight.py),
    #: kept in ``connectors/<system>/checks.py``; None: the system has none yet
    preflight_checks: Callable[..., list] | None = None
    #: the admin's "Prepare" page: creates in the system what the flows need (dry run first); None: nothing to prepare
    prepare_action: ConnectAction | None = None

    @classmethod
    def change_reader_for(cls, object_type: str) -> ChangeReader | None:
        return cls.change_readers.get(object_type, cls.change_reader)

    @staticmethod
    def client(connection: Connection):
        """The API client (or adapter) of one connection."""
        raise NotImplementedError

    #: ``(connection, object_type, external_id) -> dict | None``: one record read fresh for
    #: reconciliation as {amount, currency, status} (None: it no longer exists); None: not reconcilable
    record_read: Callable[[Connection, str, str], dict | None] | None = None

    @staticmethod
    def record_link(binding: Binding) -> str | None:
        """A link to the bound record in its own system, for the deal timeline."""
        return stored_link(binding)
