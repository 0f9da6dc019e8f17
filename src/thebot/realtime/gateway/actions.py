"""Client → server frames other than ``ping``/``resume``: run a registered action handler.

A handler runs in a worker thread exactly as a REST view's service call does: a prepared
Pyramid request with its own ``request.dbsession`` in a transaction (``request.tm``:
committed when the handler returns, aborted when it raises, so its domain events are
published after the commit like any other), ``request.identity`` the socket's user, and the
same per-user API rate limit as REST (each action counts as one request). What it returns
is the ``ack``; what it raises is the ``error`` frame, with the problem+json fields REST
would answer.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import colander
from pyramid.scripting import prepare

from thebot.accounts.auth import ratelimit
from thebot.accounts.models import AuthToken, User
from thebot.db import WRITER
from thebot.errors import APIProblem, DomainError, problem_body
from thebot.realtime.directives import Action
from thebot.realtime.tickets import Credential
from thebot.security import user_identity

log = logging.getLogger(__name__)


def run(registry: Any, action: Action, credential: Credential, data: dict[str, Any]) -> Any:
    """Blocking: ``("ack", result)`` or ``("error", problem)``."""
    env = prepare(registry=registry)
    request = env["request"]
    request.environ[WRITER] = True  # SQLite: take the write lock first (thebot.db)
    try:
        with request.tm:
            user = request.dbsession.get(User, credential.user_id)
            if user is None or not user.is_active:
                raise APIProblem(401, "The account is no longer active.")
            token = (
                request.dbsession.get(AuthToken, credential.token_id)
                if credential.token_id is not None
                else None
            )
            # The identity the security policy would have found for this user's request
            # (it caches it on the request under this name: thebot.security).
            request._thebot_identity = user_identity(user, token=token)
            count_request(request, user.id)
            result = action.handler(request, data)
        return "ack", result
    except APIProblem as exc:
        return "error", problem_body(exc.status, exc.detail, **exc.kwargs)
    except DomainError as exc:
        extra: dict[str, Any] = dict(exc.extra)
        if exc.errors is not None:
            extra["errors"] = exc.errors
        if exc.kind:
            extra["kind"] = exc.kind
        return "error", problem_body(exc.status, exc.detail, **extra)
    except colander.Invalid as exc:
        errors = [
            {"location": "body", "name": name, "description": description}
            for name, description in exc.asdict().items()
        ]
        return "error", problem_body(400, f"{len(errors)} fields are invalid", errors=errors)
    except Exception:
        log.exception("real-time action %s failed", action.name)
        return "error", problem_body(500, "The action failed; it was not applied.")
    finally:
        env["closer"]()


def count_request(request: Any, user_id: int) -> None:
    """The per-user API limits of REST (``API_BURST_LIMIT``, ``API_RATE_LIMIT``)."""
    registry = request.registry
    if not ratelimit.enabled(registry):
        return
    key = f"user:{user_id}"
    scope, limit = ratelimit.BURST_SCOPE, registry.settings["api_burst_limit"]
    state = ratelimit.hit(registry, scope, key, limit)
    if state is None or state.allowed:
        scope, limit = ratelimit.API_SCOPE, registry.settings["api_rate_limit"]
        state = ratelimit.hit(registry, scope, key, limit)
    if state is not None and not state.allowed:
        ratelimit.record_limit_hit(request, scope, key, limit)
        retry_after = state.retry_after(time.time())
        raise APIProblem(
            429, f"Too many requests; try again in {retry_after} seconds.", retry_after=retry_after
        )
