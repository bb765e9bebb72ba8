"""Bulk history for the benchmarks: N finished sync items, N entities with two bindings each, and
N API-call rows, written by PostgreSQL itself (INSERT … SELECT generate_series: a million rows a
table in well under a minute), and removed again."""
from __future__ import annotations

from django.db import connection as db

from integrations.models import Flow

MARK = "history-bench"


def history_add(*, rows: int, flow: Flow) -> None:
    """Add ``rows`` of each kind, attached to ``flow`` and its two connections, dated over the last year."""
    source, target = flow.source_connection_id, flow.target_connection_id
    with db.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM integrations_entity")
        first = cur.fetchone()[0] + 1
        cur.execute(f"""INSERT INTO integrations_entity (id, kind, label, created_at)
            SELECT {first} + g, 'deal', '{MARK}', now() - (g %% 525600) * interval '1 minute'
            FROM generate_series(0, %s - 1) g""", [rows])
        cur.execute("SELECT setval(pg_get_serial_sequence('integrations_entity', 'id'), %s)", [first + rows])
        for conn, object_type in ((source, flow.source_object), (target, flow.target_object)):
            cur.execute(f"""INSERT INTO integrations_binding (object_type, external_id, remote_version,
                last_written_hash, last_written_payload, last_seen_hash, extra, created_at, updated_at,
                connection_id, entity_id)
                SELECT %s, 'H' || g, '', '', '{{}}', '', '{{}}', now(), now(), %s, {first} + g
                FROM generate_series(0, %s - 1) g""", [object_type, conn, rows])
        cur.execute(f"""INSERT INTO integrations_syncitem (identity_key, source_object, source_id, action, status,
            attempts, next_attempt_at, step, hint, source_snapshot, mapped_payload, result, target_external_id,
            last_error_class, last_error, last_error_field, received_at, created_at, updated_at, flow_id, entity_id,
            finished_at)
            SELECT '{MARK}:' || g, %s, 'H' || g, 'upsert', 'succeeded', 1, now(), '', '{{}}', '{{}}', '{{}}',
                   '{{}}', 'H' || g, '', '', '', t, t, t, %s, {first} + g, t
            FROM (SELECT g, now() - (g %% 525600) * interval '1 minute' AS t FROM generate_series(0, %s - 1) g) s""",
                    [flow.source_object, flow.pk, rows])
        cur.execute("""INSERT INTO monitoring_apicall (system, operation, method, path, duration_ms, record_count,
            error, created_at, connection_id, status_code)
            SELECT 'freshbooks', 'history', 'GET', '/history', 20, 1, '', now() - (g %% 525600) * interval '1 minute',
                   %s, 200
            FROM generate_series(0, %s - 1) g""", [target, rows])
        cur.execute("ANALYZE integrations_entity, integrations_binding, integrations_syncitem, monitoring_apicall")


def history_remove() -> None:
    with db.cursor() as cur:
        cur.execute("DELETE FROM monitoring_apicall WHERE operation = 'history'")
        cur.execute(f"DELETE FROM integrations_syncitem WHERE identity_key LIKE '{MARK}:%%'")
        cur.execute(f"DELETE FROM integrations_binding WHERE entity_id IN "
                    f"(SELECT id FROM integrations_entity WHERE label = '{MARK}')")
        cur.execute(f"DELETE FROM integrations_entity WHERE label = '{MARK}'")
