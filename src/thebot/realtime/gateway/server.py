"""The gateway: a ``websockets`` server on ``REALTIME_LISTEN`` fed by the hub.

HTTP on the same port: ``/ws/health`` (readiness: 200 once listening and subscribed to the
hub, 503 otherwise) and ``/ws/metrics`` (Prometheus; with ``THEBOT_METRICS_TOKEN`` set it
wants ``Authorization: Bearer <token>``). ``/ws/`` upgrades to WebSocket after checking
the ``Origin``, the ticket or token, and the user's connection cap.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import http
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from thebot.outages import OUTAGES
from thebot.realtime.directives import actions
from thebot.realtime.gateway import actions as action_runner
from thebot.realtime.gateway import auth, stats
from thebot.realtime.gateway.connection import (
    CLOSE_IDLE,
    CLOSE_REVOKED,
    RESUME_GRACE,
    Connection,
    control,
)
from thebot.realtime.hub import Published, parse_id
from thebot.realtime.tickets import Credential

log = logging.getLogger(__name__)

WS_PATH = "/ws/"
HEALTH_PATH = "/ws/health"
METRICS_PATH = "/ws/metrics"
MAX_REF_LENGTH = 64
WORKER_THREADS = 8


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "localhost", int(port)


class Gateway:
    def __init__(self, registry: Any, listen: str | None = None):
        settings = registry.settings
        self.registry = registry
        self.settings = settings
        self.host, self.port = split_listen(listen or settings["realtime_listen"])
        self.hub = registry["realtime_hub"]
        self.send_queue_size = settings["realtime_send_queue"]
        self.resume_max = settings["realtime_resume_max"]
        self.max_per_user = settings["realtime_max_connections_per_user"]
        self.idle_seconds = settings["realtime_idle_seconds"]
        self.stats = stats.GatewayStats()
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.connections: dict[int, set[Connection]] = {}
        # Sockets per user on the other gateways (Redis hub), refreshed with the snapshots:
        # the connection cap is per user across every gateway, within a few seconds.
        self.remote_counts: dict[int, int] = {}
        self.executor = concurrent.futures.ThreadPoolExecutor(
            WORKER_THREADS, thread_name_prefix="thebot-realtime"
        )
        self.ready = False
        self._tasks: set[asyncio.Task] = set()

    # -- plumbing ---------------------------------------------------------------------------
    def spawn(self, coro: Coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def blocking(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def users(self) -> set[int]:
        """Users holding a socket (safe to call from another thread)."""
        for _ in range(5):
            try:
                return set(list(self.connections))
            except RuntimeError:  # changed size during iteration: the loop is busy
                continue
        return set()

    def open_for(self, user_id: int) -> int:
        """The user's sockets on this gateway and (as last seen) on the others."""
        return len(self.connections.get(user_id, ())) + self.remote_counts.get(user_id, 0)

    def all_connections(self) -> list[Connection]:
        return [c for conns in self.connections.values() for c in conns]

    # -- running ----------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, started: Any = None) -> None:
        """Serve until ``stop`` is set; ``started(port)`` is called once listening."""
        await self.hub.start(self.on_published, self.catch_up)
        try:
            async with serve(
                self.handle,
                self.host,
                self.port,
                process_request=self.process_request,
                max_size=self.settings["realtime_max_frame_bytes"],
                ping_interval=self.settings["realtime_ping_seconds"],
                ping_timeout=self.settings["realtime_ping_seconds"],
                max_queue=16,
                server_header=None,
            ) as server:
                self.port = server.sockets[0].getsockname()[1]
                self.ready = True
                for loop_fn in (self._revalidate_loop, self._idle_loop, self._snapshot_loop):
                    self.spawn(loop_fn())
                log.info("realtime gateway %s listening on %s:%s", self.id, self.host, self.port)
                if started is not None:
                    started(self.port)
                await stop.wait()
                self.ready = False
                for conn in self.all_connections():
                    conn.close(1001, "gateway stopping")
                server.close(close_connections=True)
                await server.wait_closed()
        finally:
            self.ready = False
            for task in list(self._tasks):
                task.cancel()
            await self.hub.stop(self.on_published)
            if self.hub.kind == "redis":
                await self.blocking(stats.remove_snapshot, self.hub, self.id)
            self.executor.shutdown(wait=False, cancel_futures=True)

    # -- HTTP side of the port --------------------------------------------------------------
    async def process_request(self, connection: ServerConnection, request: Request) -> Any:
        path = urlsplit(request.path).path
        if path == HEALTH_PATH:
            return self._health()
        if path == METRICS_PATH:
            return self._metrics(request)
        if path not in (WS_PATH, WS_PATH.rstrip("/")):
            return _response(http.HTTPStatus.NOT_FOUND, {"detail": "Not found."})
        if not self.ready:
            return _response(http.HTTPStatus.SERVICE_UNAVAILABLE, {"detail": "Not ready."})
        if not auth.origin_allowed(request.headers.get("Origin"), self.settings):
            return _response(http.HTTPStatus.FORBIDDEN, {"detail": "Origin not allowed."})
        secret = auth.handshake_secret(request.path, request.headers)
        if secret is None:
            return _response(
                http.HTTPStatus.UNAUTHORIZED,
                {"detail": "Send ?ticket= or an Authorization: Token header."},
                {"WWW-Authenticate": "Token"},
            )
        try:
            credential = await self.blocking(auth.authenticate, self.registry, *secret)
        except Exception as exc:  # the database or Redis is down
            OUTAGES.failed("realtime auth", exc, "handshakes refused")
            return _response(http.HTTPStatus.SERVICE_UNAVAILABLE, {"detail": "Try again."})
        if credential is None:
            return _response(
                http.HTTPStatus.UNAUTHORIZED,
                {"detail": "Invalid, used or expired ticket or token."},
                {"WWW-Authenticate": "Token"},
            )
        if self.open_for(credential.user_id) >= self.max_per_user:
            return _response(
                http.HTTPStatus.TOO_MANY_REQUESTS, {"detail": "Too many connections."}
            )
        connection.thebot_credential = credential  # type: ignore[attr-defined]
        return None

    def _health(self) -> Response:
        body = {
            "status": "ready" if self.ready else "not_ready",
            "gateway": self.id,
            "connections": self.stats.open,
            "hub": self.hub.kind,
        }
        status = http.HTTPStatus.OK if self.ready else http.HTTPStatus.SERVICE_UNAVAILABLE
        return _response(status, body)

    def _metrics(self, request: Request) -> Response:
        token = self.settings.get("metrics_token")
        if token:
            given = auth.bearer_credentials(auth._Headers(request.headers)) or ""
            if not hmac.compare_digest(given.encode(), token.encode()):
                return _response(http.HTTPStatus.UNAUTHORIZED, {"detail": "Metrics token."})
        body = generate_latest(self.stats.registry)
        headers = Headers([("Content-Type", CONTENT_TYPE_LATEST)])
        headers["Content-Length"] = str(len(body))
        return Response(200, "OK", headers, body)

    # -- sockets ----------------------------------------------------------------------------
    async def handle(self, websocket: ServerConnection) -> None:
        credential: Credential | None = getattr(websocket, "thebot_credential", None)
        if credential is None:  # cannot happen: process_request refused it
            await websocket.close(1011, "not authenticated")
            return
        conn = Connection(self, websocket, credential)
        self.connections.setdefault(conn.user_id, set()).add(conn)
        self.stats.connected(1)
        writer = self.spawn(conn.writer())
        grace = asyncio.get_running_loop().call_later(RESUME_GRACE, conn.start)
        try:
            async for message in websocket:
                conn.last_frame = time.monotonic()
                await self.on_frame(conn, message)
        except ConnectionClosed:
            pass
        finally:
            grace.cancel()
            writer.cancel()
            conns = self.connections.get(conn.user_id)
            if conns is not None:
                conns.discard(conn)
                if not conns:
                    del self.connections[conn.user_id]
            self.stats.connected(-1)

    async def on_frame(self, conn: Connection, message: Any) -> None:
        frame = parse_frame(message)
        if isinstance(frame, str):
            conn.put(control("error", _problem(400, frame)))
            return
        type_, data, ref = frame
        if type_ == "ping":
            conn.start()
            conn.put(control("pong", {"ref": ref}))
        elif type_ == "resume":
            last_id = data.get("last_id")
            if not isinstance(last_id, str) or parse_id(last_id) is None:
                conn.put(control("error", _problem(400, "resume needs a last_id.", ref=ref)))
                conn.start()
                return
            await conn.resume(last_id)
        else:
            conn.start()
            action = actions(self.registry).get(type_)
            if action is None:
                detail = f"Unknown frame type {type_!r}."
                conn.put(control("error", _problem(400, detail, ref=ref)))
                return
            outcome, body = await self.blocking(
                action_runner.run, self.registry, action, conn.credential, data
            )
            if outcome == "ack":
                conn.put(control("ack", {"action": type_, "ref": ref, "result": body}))
            else:
                conn.put(control("error", {**body, "ref": ref}))

    # -- the hub ----------------------------------------------------------------------------
    def on_published(self, published: Published) -> None:
        for user_id in published.ids:
            conns = self.connections.get(user_id)
            if conns:
                entry = published.entry(user_id)
                for conn in list(conns):
                    conn.offer(entry)

    async def catch_up(self) -> None:
        for conn in self.all_connections():
            await conn.catch_up()

    # -- housekeeping -----------------------------------------------------------------------
    async def _revalidate_loop(self) -> None:
        every = self.settings["realtime_revalidate_seconds"]
        while True:
            await asyncio.sleep(every)
            await self.revalidate()

    async def revalidate(self) -> int:
        """Close the sockets whose token, session or user is no longer valid."""
        conns = self.all_connections()
        if not conns:
            return 0
        try:
            valid = await self.blocking(
                auth.still_valid, self.registry, {c.credential for c in conns}
            )
        except Exception as exc:  # keep the sockets while the database cannot say
            OUTAGES.failed("realtime revalidation", exc, "sockets kept")
            return 0
        OUTAGES.recovered("realtime revalidation")
        closed = 0
        for conn in conns:
            if conn.credential not in valid:
                conn.close(CLOSE_REVOKED, "credentials revoked")
                closed += 1
        return closed

    async def _idle_loop(self) -> None:
        every = max(0.5, min(5.0, self.idle_seconds / 4))
        while True:
            await asyncio.sleep(every)
            self.close_idle()

    def close_idle(self) -> int:
        """Close the sockets whose client sent nothing for ``REALTIME_IDLE_SECONDS``."""
        deadline = time.monotonic() - self.idle_seconds
        idle = [conn for conn in self.all_connections() if conn.last_frame < deadline]
        for conn in idle:
            conn.close(CLOSE_IDLE, "idle")
        return len(idle)

    async def _snapshot_loop(self) -> None:
        if self.hub.kind != "redis":
            return
        while True:
            try:
                counts = {user: len(conns) for user, conns in list(self.connections.items())}
                snap = self.stats.snapshot(list(counts), counts)
                await self.blocking(stats.publish_snapshot, self.hub, self.id, snap)
                self.remote_counts = await self.blocking(stats.remote_counts, self.hub, self.id)
            except Exception as exc:
                OUTAGES.failed("realtime snapshot", exc)
            await asyncio.sleep(stats.SNAPSHOT_SECONDS)


def parse_frame(message: Any) -> tuple[str, dict[str, Any], Any] | str:
    """``(type, data, ref)`` of a client frame, or the reason it is refused."""
    if isinstance(message, bytes):
        return "Binary frames are not accepted: send JSON text."
    try:
        frame = json.loads(message)
    except ValueError:
        return "The frame is not JSON."
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return 'A frame is a JSON object with a "type".'
    data = frame.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return '"data" must be an object.'
    ref = frame.get("ref", frame.get("id"))  # a frame's own "id" serves when it has no "ref"
    if ref is not None and not (
        isinstance(ref, (str, int)) and not isinstance(ref, bool) and len(str(ref)) <= 64
    ):
        return '"ref" (or "id") must be a string or an integer (64 characters at most).'
    return frame["type"], data, ref


def _problem(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    from thebot.errors import problem_body

    return problem_body(status, detail, **extra)


def _response(
    status: http.HTTPStatus, body: dict[str, Any], extra: dict[str, str] | None = None
) -> Response:
    payload = json.dumps(body).encode()
    headers = Headers([("Content-Type", "application/json")])
    headers["Content-Length"] = str(len(payload))
    for name, value in (extra or {}).items():
        headers[name] = value
    return Response(status.value, status.phrase, headers, payload)
