"""Provider notifications (``POST /api/payments/webhooks/yookassa/``) and the sandbox's
confirmation page (development: "pay" or "fail" drive the same notification path)."""

from __future__ import annotations

import logging
from typing import Any

import colander
from pyramid.renderers import render_to_response
from pyramid.security import NO_PERMISSION_REQUIRED

from thebot.api import ApiService, Request
from thebot.errors import APIProblem
from thebot.payments.providers import SANDBOX_ROUTE, provider_for
from thebot.payments.providers.sandbox import SandboxProvider
from thebot.payments.webhooks import service
from thebot.payments.webhooks.schemas import (
    NotificationAnswer,
    NotificationRequest,
    SandboxDecisionRequest,
)
from thebot.schemas import NoQueryRequest, responds

log = logging.getLogger(__name__)
TAGS = ["payments"]

yookassa_webhook = ApiService(
    name="payments_webhook_yookassa",
    path="/api/payments/webhooks/yookassa/",
    description="YooKassa notifications (IP allowlist; the object is fetched again)",
)
sandbox_page = ApiService(
    name=SANDBOX_ROUTE,
    path="/api/payments/sandbox/{token}/",
    description="The sandbox provider's confirmation page (development only)",
)


@yookassa_webhook.post(
    permission=NO_PERMISSION_REQUIRED,
    schema=NotificationRequest(),
    tags=TAGS,
    problems=(403,),
    response_schemas=responds(NotificationAnswer, "Processed, or ignored (unknown id)"),
)
def receive_yookassa(request: Request) -> dict[str, Any]:
    """Public by necessity: only from ``YOOKASSA_WEBHOOK_IPS`` (the client address resolved
    through ``TRUSTED_PROXIES``, never a raw ``X-Forwarded-For``); 403 otherwise."""
    address = getattr(request, "client_ip", None) or request.remote_addr
    if not service.address_allowed(address, request.registry.settings["yookassa_webhook_ips"]):
        log.warning("webhook refused from %s", address)
        raise APIProblem(403, "Notifications are accepted from the provider's addresses only.")
    body = request.validated["body"]
    outcome = service.process_notification(
        request.dbsession, provider_for(request), body["event"], body["object"]["id"]
    )
    return {"status": outcome}


def _sandbox(request: Request) -> SandboxProvider:
    provider = provider_for(request) if _sandbox_on(request) else None
    if not isinstance(provider, SandboxProvider):
        raise APIProblem(404, "No such sandbox payment.")
    return provider


def _sandbox_on(request: Request) -> bool:
    from thebot.payments.settings import provider_name

    return provider_name(request.registry.settings) == "sandbox"


@sandbox_page.get(
    permission=NO_PERMISSION_REQUIRED,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas={
        "200": colander.SchemaNode(
            colander.String(), description="HTML page", content_types=("text/html",)
        )
    },
)
def show_sandbox_page(request: Request) -> Any:
    """The page behind a sandbox ``confirmation_url`` (its random id is the capability)."""
    provider = _sandbox(request)
    obj = provider.get_payment(request.matchdict["token"])
    if obj is None:
        raise APIProblem(404, "No such sandbox payment.")
    data = {"payment": obj, "action_url": request.route_url(SANDBOX_ROUTE, token=obj.id)}
    return render_to_response("thebot.payments:templates/sandbox.jinja2", data, request=request)


@sandbox_page.post(
    permission=NO_PERMISSION_REQUIRED,
    schema=SandboxDecisionRequest(),
    tags=TAGS,
    response_schemas=responds(NotificationAnswer, "The notification path's outcome"),
)
def decide_sandbox_payment(request: Request) -> dict[str, Any]:
    """ "pay" or "fail" (a form or JSON): the sandbox object changes, then the webhook path."""
    provider = _sandbox(request)
    token = request.matchdict["token"]
    if provider.get_payment(token) is None:
        raise APIProblem(404, "No such sandbox payment.")
    succeed = request.validated["body"]["action"] == "pay"
    event = "payment.succeeded" if succeed else "payment.canceled"
    if not provider.decide(token, succeed):
        return {"status": "unchanged"}
    return {"status": service.process_notification(request.dbsession, provider, event, token)}
