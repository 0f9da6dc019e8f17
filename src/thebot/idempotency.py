"""``Idempotency-Key`` for POSTs that create bookings or money (API.md, "Idempotency").

Decorate the view, under Cornice's decorator (so the permission and the schema are checked
first; a request that fails them is never recorded)::

    @lessons.post(permission=BOOK_LESSONS, schema=CreateLessonRequest(), ...)
    @idempotent("lessons")
    def create_lesson(request): ...

- No header: the view runs as usual.
- First request with a key: the key is *claimed* (per user and scope), the view runs, and
  once the transaction **commits** its response (status, JSON body, ``Location``/``ETag``)
  is remembered for 24 hours. An error (an exception, a 4xx/5xx answer, a failed commit)
  releases the key: only successes are remembered, so a client may fix its request and
  retry with the same key.
- A repeat with the same key and the same request (method, path and JSON body, compared
  canonically) gets the remembered response with ``Idempotent-Replayed: true``; the view
  does not run again.
- The same key with a different request: 422. While the first request is still running:
  409 with ``Retry-After`` (pyramid_retry's re-attempts of that request itself pass: the
  claim is tied to the WSGI environ, which retries share).

Storage: the ``default`` cache region, not a table (a table needs a migration; the records
are short-lived and losing them only loses replays). With Redis the region's own expiry
(minutes) is too short, so records go to the same Redis under the region's key prefix with
``SET NX`` (an atomic claim across processes) and a 24 h TTL; with the in-memory region
(development, tests: one process) a lock makes the claim atomic and each record carries its
own expiry. A store that cannot be reached makes the request a 503 rather than risk a
duplicate booking.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from pyramid.response import Response

from thebot.errors import APIProblem
from thebot.outages import OUTAGES

if TYPE_CHECKING:
    from thebot.api import Request

log = logging.getLogger(__name__)
OUTAGE_COMPONENT = "idempotency store"

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
RECORD_TTL = 24 * 3600  # seconds a finished response is replayed
CLAIM_TTL = 60  # seconds an in-flight claim lasts should its process die mid-request
KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, like Stripe's keys
KEPT_HEADERS = ("Location", "ETag", "Link")
ENVIRON_CLAIM = "thebot.idempotency_claim"


class IdempotencyStore(Protocol):
    def claim(self, key: str, record: dict[str, Any], ttl: int) -> dict[str, Any] | None:
        """Store ``record`` unless ``key`` exists; return the existing record, or ``None``."""

    def finish(self, key: str, record: dict[str, Any], ttl: int) -> None: ...

    def release(self, key: str, token: str) -> None:
        """Forget ``key`` if it still holds the claim ``token``."""


class RedisStore:
    # Compare-and-delete: never drop a claim or record another request owns.
    RELEASE = (
        "local v = redis.call('GET', KEYS[1]) "
        "if v and cjson.decode(v)['token'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
        "return 0"
    )

    def __init__(self, client: Any, prefix: str):
        self.client = client
        self.prefix = prefix

    def claim(self, key: str, record: dict[str, Any], ttl: int) -> dict[str, Any] | None:
        name = self.prefix + key
        for _attempt in range(3):
            if self.client.set(name, json.dumps(record), nx=True, ex=ttl):
                return None
            raw = self.client.get(name)
            if raw is not None:
                return json.loads(raw)
            # The holder expired or was released in between: claim again.
        return {**record, "token": None}  # still contended: answer "in progress"

    def finish(self, key: str, record: dict[str, Any], ttl: int) -> None:
        self.client.set(self.prefix + key, json.dumps(record), ex=ttl)

    def release(self, key: str, token: str) -> None:
        self.client.eval(self.RELEASE, 1, self.prefix + key, token)


class RegionStore:
    """Any dogpile region in one process (the memory backend): records expire by themselves."""

    _lock = threading.Lock()

    def __init__(self, region: Any):
        self.region = region

    def _get(self, key: str) -> dict[str, Any] | None:
        from dogpile.cache.api import NO_VALUE

        value = self.region.get(key, ignore_expiration=True)
        if value is NO_VALUE or not isinstance(value, dict) or value["expires"] <= time.time():
            return None
        return value["record"]

    def _set(self, key: str, record: dict[str, Any], ttl: int) -> None:
        self.region.set(key, {"record": record, "expires": time.time() + ttl})

    def claim(self, key: str, record: dict[str, Any], ttl: int) -> dict[str, Any] | None:
        with self._lock:
            existing = self._get(key)
            if existing is None:
                self._set(key, record, ttl)
            return existing

    def finish(self, key: str, record: dict[str, Any], ttl: int) -> None:
        with self._lock:
            self._set(key, record, ttl)

    def release(self, key: str, token: str) -> None:
        with self._lock:
            existing = self._get(key)
            if existing is not None and existing.get("token") == token:
                self.region.delete(key)


def store_for(request: Request) -> IdempotencyStore:
    region = request.cache["default"]
    backend = region.actual_backend
    client = getattr(backend, "writer_client", None)
    if client is not None:  # dogpile's Redis backend
        return RedisStore(client, region.key_mangler("idempotency:"))
    return RegionStore(region)


def fingerprint(request: Request) -> str:
    """The request as compared between repeats: method, path, canonical JSON body."""
    try:
        body: Any = json.loads(request.body) if request.body else None
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = "raw:" + hashlib.sha256(request.body).hexdigest()
    text = f"{request.method}\n{request.path}\n{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def _key_problem(description: str) -> APIProblem:
    error = {"location": "header", "name": HEADER, "description": description}
    return APIProblem(400, f"Invalid {HEADER} header.", errors=[error])


def _store_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


def idempotent(scope: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Make a POST view honour ``Idempotency-Key`` (``scope`` names the kind of operation)."""

    def decorate(view: Callable[[Any], Any]) -> Callable[[Any], Any]:
        @functools.wraps(view)
        def wrapper(request: Request) -> Any:
            raw = request.headers.get(HEADER)
            user = getattr(request.identity, "user", None)
            if raw is None or user is None:
                return view(request)
            if not KEY_RE.match(raw):
                raise _key_problem("1 to 255 visible ASCII characters (a UUID is typical)")
            return _run(request, view, scope, user.id, raw)

        wrapper.idempotency_scope = scope  # type: ignore[attr-defined]  # thebot.openapi
        return wrapper

    return decorate


def _run(request: Request, view: Callable[[Any], Any], scope: str, user_id: int, raw: str) -> Any:
    key = f"{scope}:{user_id}:{hashlib.sha256(raw.encode()).hexdigest()}"
    digest = fingerprint(request)
    token = request.environ.setdefault(ENVIRON_CLAIM, secrets.token_hex(16))
    store = store_for(request)
    try:
        existing = store.claim(key, _claim(token, digest), CLAIM_TTL)
    except _store_errors() as exc:
        OUTAGES.failed(OUTAGE_COMPONENT, exc)  # once per outage (thebot.outages)
        raise APIProblem(503, "Idempotent requests are unavailable right now; retry.") from exc
    OUTAGES.recovered(OUTAGE_COMPONENT)
    if existing is not None:
        replay = _answer_existing(existing, digest, token)
        if replay is not None:
            return replay
    try:
        result = view(request)
    except BaseException:
        _release(store, key, token)
        raise
    record = _finished(request, result, token, digest)
    if record is None:  # an error answer: not remembered
        _release(store, key, token)
        return result

    def after_commit(success: bool) -> None:
        if not success:
            _release(store, key, token)
            return
        try:
            store.finish(key, record, RECORD_TTL)
        except _store_errors() as exc:  # the booking stands; only its replay is lost
            OUTAGES.failed(OUTAGE_COMPONENT, exc, "a key not recorded")

    txn = request.tm.get()
    txn.addAfterCommitHook(after_commit)
    # Aborted later (a failing response callback, a retry): the key is free again at once.
    txn.addAfterAbortHook(lambda: _release(store, key, token))
    return result


def _claim(token: str, digest: str) -> dict[str, Any]:
    return {"state": "pending", "token": token, "fingerprint": digest}


def _answer_existing(existing: dict[str, Any], digest: str, token: str) -> Response | None:
    """The replay, a 422/409, or ``None`` when the claim is this request's own (a retry)."""
    if existing.get("fingerprint") != digest:
        raise APIProblem(
            422,
            f"This {HEADER} was already used with a different request; use a new key.",
        )
    if existing.get("state") == "done":
        response = Response(
            body=existing["body"].encode(),
            status=existing["status"],
            content_type=existing["content_type"],
            charset="utf-8",
        )
        for name, value in existing.get("headers", {}).items():
            response.headers[name] = value
        response.headers[REPLAYED_HEADER] = "true"
        return response
    if existing.get("token") != token:
        raise APIProblem(
            409,
            f"A request with this {HEADER} is still being processed; retry shortly.",
            headers={"Retry-After": "1"},
        )
    return None


def _finished(request: Request, result: Any, token: str, digest: str) -> dict[str, Any] | None:
    """What to remember of a successful answer (``None`` for an error answer)."""
    if isinstance(result, Response):
        response = result
        body = response.text
        content_type = response.content_type or "application/json"
    else:
        response = request.response
        body = json.dumps(result)
        content_type = "application/json"
    if not 200 <= response.status_code < 300:
        return None
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    return {
        "state": "done",
        "token": token,
        "fingerprint": digest,
        "status": response.status_code,
        "content_type": content_type,
        "body": body,
        "headers": headers,
    }


def _release(store: IdempotencyStore, key: str, token: str) -> None:
    try:
        store.release(key, token)
    except _store_errors() as exc:  # the claim lapses by itself after CLAIM_TTL
        OUTAGES.failed(OUTAGE_COMPONENT, exc, "a key not released")
