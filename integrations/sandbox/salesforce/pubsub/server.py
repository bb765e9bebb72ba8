"""The Pub/Sub server process's parts: the gRPC server (plaintext, no TLS) with the servicer on a
thread pool, and the bus thread, which every poll interval gives newly committed change events
their bus position (see bus.py; only this process assigns) and writes the heartbeat the
simulator's settings page shows."""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from pubsub_wire import pubsub_api_pb2_grpc as pb_grpc

from ..models import SfPubSubServer
from .bus import bus_assign
from .clock import BusClock
from .servicer import PubSubServicer, ServicerOptions

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0
HEARTBEAT_STALE_SECONDS = 3 * HEARTBEAT_SECONDS


def instance_root_default() -> str:
    """The simulator's instance URL as the demo connection knows it."""
    return f"{settings.LEDGERLINK_PUBLIC_URL}/sandbox/salesforce"


@dataclass
class PubSubConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port (tests)
    poll_seconds: float = 0.02
    control_seconds: float = 0.5
    max_streams: int = 32
    instance_roots: tuple[str, ...] = field(default_factory=lambda: (instance_root_default(),))
    # Runs first on every thread that uses the database (tests share their in-memory SQLite connection).
    thread_initializer: Callable[[], None] | None = None


class PubSubServer:
    def __init__(self, config: PubSubConfig):
        self.config = config
        self.clock = BusClock()
        self.stopping = threading.Event()
        self.port = 0
        self._grpc: grpc.Server | None = None
        self._bus_thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"{self.config.host}:{self.port}"

    def start(self) -> int:
        config = self.config
        # One thread per open stream plus a few for unary calls; past max_streams a call gets
        # RESOURCE_EXHAUSTED instead of waiting for a thread.
        pool = futures.ThreadPoolExecutor(max_workers=config.max_streams + 4, thread_name_prefix="pubsub-rpc",
                                          initializer=config.thread_initializer)
        self._grpc = grpc.server(pool, maximum_concurrent_rpcs=config.max_streams)
        options = ServicerOptions(clock=self.clock, stopping=self.stopping, poll_seconds=config.poll_seconds,
                                  control_seconds=config.control_seconds, instance_roots=config.instance_roots)
        pb_grpc.add_PubSubServicer_to_server(PubSubServicer(options), self._grpc)
        self.port = self._grpc.add_insecure_port(f"{config.host}:{config.port}")
        if not self.port:
            raise OSError(f"cannot listen on {config.host}:{config.port}")
        self._bus_thread = threading.Thread(target=self._bus_loop, name="pubsub-bus", daemon=True)
        self._bus_thread.start()
        self.clock.sync(timeout=10)
        self._grpc.start()
        return self.port

    def stop(self, grace: float = 2.0) -> None:
        """Streams end (UNAVAILABLE), the bus thread finishes its round, the heartbeat says stopped."""
        self.stopping.set()
        if self._grpc is not None:
            self._grpc.stop(grace).wait()
        if self._bus_thread is not None:
            self._bus_thread.join(10)

    # -- the bus thread -----------------------------------------------------------------------
    def _bus_loop(self) -> None:
        if self.config.thread_initializer:
            self.config.thread_initializer()
        next_beat = 0.0
        try:
            while not self.stopping.is_set():
                try:
                    self.clock.published(bus_assign(latest=self.clock.latest if self.clock.ticks else None))
                    if time.monotonic() >= next_beat:
                        self._heartbeat()
                        next_beat = time.monotonic() + HEARTBEAT_SECONDS
                        close_old_connections()
                except DatabaseError:
                    logger.exception("Pub/Sub bus: database error; retrying")
                    close_old_connections()
                    time.sleep(1)
                self.clock.idle(self.config.poll_seconds, self.stopping)
            self._heartbeat(stopped=True)
        except DatabaseError:
            logger.exception("Pub/Sub bus: could not record the stop")
        finally:  # the thread ends: its connection goes with it (CONN_MAX_AGE would keep it open)
            connections.close_all()

    def _heartbeat(self, *, stopped: bool = False) -> None:
        now = timezone.now()
        row, created = SfPubSubServer.objects.get_or_create(
            address=self.address, defaults={"pid": os.getpid(), "started_at": now, "heartbeat_at": now})
        if not created and (row.pid != os.getpid() or row.stopped):  # a new run on this address
            row.started_at = now
        row.pid, row.heartbeat_at, row.stopped = os.getpid(), now, stopped
        row.save()


def server_status(address: str) -> dict:
    """For the settings page: is a server answering on ``address`` (by its heartbeat)?"""
    row = SfPubSubServer.objects.filter(address=address).first()
    running = bool(row and not row.stopped
                   and (timezone.now() - row.heartbeat_at).total_seconds() < HEARTBEAT_STALE_SECONDS)
    return {"address": address, "running": running, "heartbeat_at": row.heartbeat_at if row else None,
            "started_at": row.started_at if row and running else None}
