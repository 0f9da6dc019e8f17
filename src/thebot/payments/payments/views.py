"""Payments API: the payments a caller may see, one payment, refunds (admins)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.pagination import page_body, paginate_request
from thebot.payments.payments import service
from thebot.payments.payments.models import Payment, Refund
from thebot.payments.payments.resources import PaymentResource
from thebot.payments.payments.schemas import (
    PaymentPage,
    PaymentSchema,
    PaymentsListRequest,
    RefundRequest,
)
from thebot.payments.providers import provider_for
from thebot.payments.resources import PaymentsRoot, viewer_of
from thebot.permissions import LIST_PAYMENTS, REFUND_PAYMENT, VIEW_PAYMENT
from thebot.responses import with_etag
from thebot.schemas import NoQueryRequest, responds

TAGS = ["payments"]

payments = ApiService(
    name="payments",
    path="/api/payments/",
    description="Payments the caller may see (admins, payers, the tutor/teacher paid)",
    factory=PaymentsRoot,
)
payment = ApiService(
    name="payments_payment",
    path=r"/api/payments/{id:\d+}/",
    description="One payment with its refunds",
    factory=PaymentResource,
)
payment_refund = ApiService(
    name="payments_payment_refund",
    path=r"/api/payments/{id:\d+}/refund/",
    description="Refund a payment, fully or partly (admins)",
    factory=PaymentResource,
)


def refunds_of(request: Request, item: Payment) -> list[Refund]:
    return list(
        request.dbsession.scalars(
            select(Refund).where(Refund.payment_id == item.id).order_by(Refund.id)
        )
    )


@payments.get(
    permission=LIST_PAYMENTS,
    schema=PaymentsListRequest(),
    tags=TAGS,
    response_schemas=responds(PaymentPage, "A page of payments, newest first"),
)
def list_payments(request: Request) -> dict[str, Any]:
    viewer = viewer_of(request)
    assert viewer is not None
    query = request.validated["querystring"]
    stmt = select(Payment).where(service.visible_payments_clause(viewer))
    if "status" in query:
        stmt = stmt.where(Payment.status == query["status"])
    if "purpose" in query:
        stmt = stmt.where(Payment.purpose == query["purpose"])
    if "student" in query:
        stmt = stmt.where(Payment.student_id == query["student"])
    if "needs_review" in query:
        stmt = stmt.where(Payment.needs_review == query["needs_review"])
    rows, next_cursor = paginate_request(request, stmt, [(Payment.id, "desc")])
    return page_body([service.payment_data(p, viewer) for p in rows], next_cursor)


@payment.get(
    permission=VIEW_PAYMENT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(PaymentSchema, "The payment"),
)
def get_payment(request: Request) -> dict[str, Any]:
    viewer = viewer_of(request)
    assert viewer is not None
    item = request.context.payment
    return with_etag(request, service.payment_data(item, viewer, refunds_of(request, item)))


@payment_refund.post(
    permission=REFUND_PAYMENT,
    schema=RefundRequest(),
    tags=TAGS,
    response_schemas=responds(PaymentSchema, "The payment after the refund", 201),
)
def refund_payment(request: Request) -> dict[str, Any]:
    """``amount`` absent: all that is left. A lesson package takes back its unused credits
    first; ``force`` lets the student's balance go below zero."""
    viewer = viewer_of(request)
    assert viewer is not None
    body = request.validated["body"]
    item = service.refund(
        request.dbsession,
        provider_for(request),
        request.context.payment,
        amount=body.get("amount"),
        reason=body["reason"],
        actor=viewer,
        force=body["force"],
    )
    audit(
        request,
        "payment.refund_requested",
        target_type="payment",
        target_id=item.payment_id,
        refund_id=item.id,
        amount=f"{item.amount:.2f}",
        force=body["force"],
    )
    request.response.status = 201
    target = request.dbsession.get(Payment, item.payment_id)
    assert target is not None
    return service.payment_data(target, viewer, refunds_of(request, target))
