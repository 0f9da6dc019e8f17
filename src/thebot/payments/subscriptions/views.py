"""Subscriptions API: a parent subscribes an enrollment (first payment); cancel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from thebot.api import ApiService, Request
from thebot.idempotency import idempotent
from thebot.pagination import page_body, paginate_request
from thebot.payments.payments.service import payment_data
from thebot.payments.providers import provider_for
from thebot.payments.resources import PaymentsRoot, viewer_of
from thebot.payments.subscriptions import service
from thebot.payments.subscriptions.models import Subscription
from thebot.payments.subscriptions.resources import SubscriptionResource
from thebot.payments.subscriptions.schemas import (
    SubscribeRequest,
    SubscriptionPage,
    SubscriptionSchema,
    SubscriptionsListRequest,
)
from thebot.permissions import CANCEL_SUBSCRIPTION, CREATE_SUBSCRIPTION, LIST_SUBSCRIPTIONS
from thebot.schemas import EmptyRequest, responds

TAGS = ["payments"]

subscriptions = ApiService(
    name="payments_subscriptions",
    path="/api/payments/subscriptions/",
    description="Subject subscriptions the caller pays or is paid by; parents subscribe",
    factory=PaymentsRoot,
)
subscription_cancel = ApiService(
    name="payments_subscription_cancel",
    path=r"/api/payments/subscriptions/{id:\d+}/cancel/",
    description="Stop future charges (access runs to the end of the paid period)",
    factory=SubscriptionResource,
)


@subscriptions.get(
    permission=LIST_SUBSCRIPTIONS,
    schema=SubscriptionsListRequest(),
    tags=TAGS,
    response_schemas=responds(SubscriptionPage, "A page of subscriptions, newest first"),
)
def list_subscriptions(request: Request) -> dict[str, Any]:
    viewer = viewer_of(request)
    assert viewer is not None
    query = request.validated["querystring"]
    stmt = select(Subscription).where(service.visible_clause(viewer))
    if "status" in query:
        stmt = stmt.where(Subscription.status == query["status"])
    rows, next_cursor = paginate_request(request, stmt, [(Subscription.id, "desc")])
    return page_body([service.data(item) for item in rows], next_cursor)


@subscriptions.post(
    permission=CREATE_SUBSCRIPTION,
    schema=SubscribeRequest(),
    tags=TAGS,
    response_schemas=responds(SubscriptionSchema, "The subscription and its first payment", 201),
)
@idempotent("payments.subscriptions.create")
def subscribe(request: Request) -> dict[str, Any]:
    """The first payment saves the payment method for the automatic renewals."""
    payer = viewer_of(request)
    assert payer is not None
    body = request.validated["body"]
    return_url = body.get("return_url") or request.registry.settings["payment_return_url"]
    item, payment = service.subscribe(
        request.dbsession,
        provider_for(request),
        payer,
        body["enrollment_id"],
        body["price_id"],
        return_url or request.application_url + "/",
    )
    request.response.status = 201
    return {**service.data(item), "payment": payment_data(payment, payer)}


@subscription_cancel.post(
    permission=CANCEL_SUBSCRIPTION,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(SubscriptionSchema, "The cancelled subscription"),
)
def cancel_subscription(request: Request) -> dict[str, Any]:
    return service.data(service.cancel(request.dbsession, request.context.subscription))
