"""A closed-loop HTTP/1.1 load generator in one thread, light enough to share the machine.

``clients`` keep-alive connections each send a GET, wait for the whole response, and send
the next, until ``keys`` (one API token per request) run out. One thread and a selector
instead of a thread per client with ``http.client``: no GIL contention inside the load
generator (which would add its own waits to the measured latencies) and a fraction of the
CPU per request (a status line and ``Content-Length`` parsed from bytes, nothing else), so
the server being measured gets most of the machine.
"""

from __future__ import annotations

import selectors
import socket
import time


class LoadError(RuntimeError):
    pass


class _Connection:
    def __init__(self, port: int, path: str, timeout: float):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.path = path
        self.buffer = b""
        self.started = 0.0

    def send(self, path: str, key: str) -> None:
        self.path = path
        request = (
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {key}\r\n\r\n"
        )
        self.started = time.perf_counter()
        self.sock.sendall(request.encode())

    def receive(self) -> float | None:
        """Read what arrived; the latency in ms once a whole response is in, else None."""
        chunk = self.sock.recv(262144)
        if not chunk:
            raise LoadError(f"GET {self.path}: the server closed the connection")
        self.buffer += chunk
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buffer[:end].decode("latin-1").split("\r\n")
        status = head[0].split(" ", 2)[1]
        length = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if length is None:
            raise LoadError(f"GET {self.path}: no Content-Length in the response")
        if len(self.buffer) < end + 4 + length:
            return None
        if status != "200":
            raise LoadError(f"GET {self.path}: {status}")
        self.buffer = self.buffer[end + 4 + length :]
        return (time.perf_counter() - self.started) * 1000


def run(
    port: int,
    path: str,
    keys: list[str],
    clients: int,
    timeout: float = 30,
    paths: list[str] | None = None,
) -> list[float]:
    """Send one GET per key over ``clients`` connections; the latencies in ms. With
    ``paths`` (one per key), request i goes to ``paths[i]`` instead of ``path``."""
    pending = iter(list(zip(paths or [path] * len(keys), keys, strict=True)))
    timings: list[float] = []
    selector = selectors.DefaultSelector()
    connections = []
    try:
        for _ in range(min(clients, len(keys))):
            conn = _Connection(port, path, timeout)
            connections.append(conn)
            selector.register(conn.sock, selectors.EVENT_READ, conn)
            conn.send(*next(pending))
        busy = len(connections)
        while busy:
            events = selector.select(timeout)
            if not events:
                raise LoadError(f"GET {path}: no response within {timeout} s")
            for key, _ in events:
                conn = key.data
                latency = conn.receive()
                if latency is None:
                    continue
                timings.append(latency)
                following = next(pending, None)
                if following is None:
                    busy -= 1
                else:
                    conn.send(*following)
    finally:
        selector.close()
        for conn in connections:
            conn.sock.close()
    return timings
