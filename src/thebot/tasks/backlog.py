"""How long the oldest message of each queue has been waiting (health: a queue nobody serves).

A message waits from its due time (``eta``, for delayed messages) or else from its creation.
A delayed message that is not due yet does not wait. Only the oldest ``SAMPLE`` entries of
each list are read, so a check stays cheap with a long backlog: enough to tell "messages
have waited for an hour" from "the queue moves".
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name

SAMPLE = 100


def waiting_since_ms(message: dramatiq.Message) -> int:
    eta = message.options.get("eta")
    return int(eta) if eta else int(message.message_timestamp)


def _sample(broker: dramatiq.Broker, name: str) -> Iterator[dramatiq.Message]:
    if isinstance(broker, StubBroker):
        queue = broker.queues.get(name)
        encoded = list(queue.queue)[:SAMPLE] if queue is not None else []
    else:
        client = getattr(broker, "client", None)
        if client is None:  # pragma: no cover - make_broker builds no other kind
            return
        key = f"{broker.namespace}:{name}"  # type: ignore[attr-defined]  # RedisBroker
        ids = client.lrange(key, 0, SAMPLE - 1)
        encoded = [data for data in client.hmget(f"{key}.msgs", ids) if data] if ids else []
    for data in encoded:
        message = _decode(data)
        if message is not None:
            yield message


def _decode(data: bytes) -> dramatiq.Message | None:
    """A message, or ``None`` for bytes that are not one (the worker dead-letters those)."""
    try:
        return dramatiq.Message.decode(data)
    except Exception:  # any decoding failure: not ours to judge here
        return None


def oldest_waiting_seconds(
    broker: dramatiq.Broker, queues: Iterable[str], now_ms: float | None = None
) -> dict[str, float | None]:
    """Per queue: seconds its oldest due message has waited (``None``: nothing waits)."""
    now = time.time() * 1000 if now_ms is None else now_ms
    result: dict[str, float | None] = {}
    for queue in sorted(queues):
        due = [
            since
            for name in (queue, dq_name(queue))
            for since in map(waiting_since_ms, _sample(broker, name))
            if since <= now
        ]
        result[queue] = round((now - min(due)) / 1000, 1) if due else None
    return result
