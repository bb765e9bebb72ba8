"""`make bench`: set up Django on the bench database, run the registered benchmarks, append to BENCHMARKS.md."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ledgerlink_bench"


def database_ensure(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def machine() -> str:
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    return f"{os.cpu_count()} CPUs (nproc {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()}), " \
           f"{mem_kb / 1024 / 1024:.1f} GiB memory, PostgreSQL {pg}, Python {platform.python_version()}, " \
           f"load average {os.getloadavg()[0]:.1f} at the start (a shared machine's other work slows every number)"


def main(argv: list[str]) -> int:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        print("BENCH_DATABASE_URL must be a PostgreSQL URL: the benchmarks measure PostgreSQL.", file=sys.stderr)
        return 2
    database_ensure(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gtb25seS1rZXktbm90LWZvci1yZWFsLWRhdGE=")
    import django
    from django.core.management import call_command
    from django.utils.module_loading import import_string

    django.setup()
    call_command("migrate", verbosity=0)
    from tests.bench import BENCHMARKS

    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Known: {', '.join(BENCHMARKS)}.", file=sys.stderr)
        return 2
    header = (f"\n## {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — `make bench` ({' '.join(names)})\n\n"
              f"Machine: {machine()}. Database: `{urlsplit(url).path.lstrip('/')}`.\n")
    sections = [header] + [import_string(BENCHMARKS[name])(print) for name in names]
    out = ROOT / "BENCHMARKS.md"
    if not out.exists():
        out.write_text("# Benchmarks\n\nAppended by `make bench` (python -m tests.bench); newest last.\n")
    with out.open("a") as fh:
        fh.write("\n".join(sections))
    print(f"Results appended to {out}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
