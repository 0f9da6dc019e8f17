"""Lesson packages: buy one (parents, admins); credit balances and history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select

from thebot.api import ApiService, Request
from thebot.idempotency import idempotent
from thebot.pagination import paginate_request
from thebot.payments.credits import service
from thebot.payments.credits.schemas import CreditsListRequest, CreditsPage, PurchaseRequest
from thebot.payments.ledger.models import LedgerEntry
from thebot.payments.ledger.service import credit_balances_query, entry_data
from thebot.payments.payments.schemas import PaymentSchema
from thebot.payments.payments.service import payment_data
from thebot.payments.providers import provider_for
from thebot.payments.resources import PaymentsRoot, viewer_of
from thebot.permissions import BUY_PACKAGE, VIEW_CREDITS
from thebot.responses import created
from thebot.schemas import responds

TAGS = ["payments"]

purchase = ApiService(
    name="payments_packages_purchase",
    path="/api/payments/packages/purchase/",
    description="Buy a lesson package for a student: a payment to confirm",
    factory=PaymentsRoot,
)
credits = ApiService(
    name="payments_credits",
    path="/api/payments/credits/",
    description="Lesson credit balances and history, filters student, subject",
    factory=PaymentsRoot,
)


@purchase.post(
    permission=BUY_PACKAGE,
    schema=PurchaseRequest(),
    tags=TAGS,
    response_schemas=responds(PaymentSchema, "The payment: send the payer to its URL", 201),
)
@idempotent("payments.packages.purchase")
def buy_package(request: Request) -> dict[str, Any]:
    """The amount is the package's price; honours ``Idempotency-Key``."""
    buyer = viewer_of(request)
    assert buyer is not None
    body = request.validated["body"]
    return_url = body.get("return_url") or request.registry.settings["payment_return_url"]
    item = service.purchase(
        request.dbsession,
        provider_for(request),
        buyer,
        body["student_id"],
        body["price_id"],
        return_url or request.application_url + "/",
    )
    created(request, "payments_payment", id=item.id)
    return payment_data(item, buyer)


@credits.get(
    permission=VIEW_CREDITS,
    schema=CreditsListRequest(),
    tags=TAGS,
    response_schemas=responds(CreditsPage, "Balances per student and subject, and the history"),
)
def list_credits(request: Request) -> dict[str, Any]:
    viewer = viewer_of(request)
    assert viewer is not None
    query = request.validated["querystring"]
    where = [service.visible_credits_clause(request.dbsession, viewer)]
    if "student" in query:
        where.append(LedgerEntry.student_id == query["student"])
    if "subject" in query:
        where.append(LedgerEntry.subject_id == query["subject"])
    clause = and_(*where)
    balances = [
        {"student_id": row.student_id, "subject_id": row.subject_id, "credits": int(row.balance)}
        for row in request.dbsession.execute(credit_balances_query(clause))
        if row.student_id is not None
    ]
    stmt = select(LedgerEntry).where(LedgerEntry.credits.is_not(None), clause)
    rows, next_cursor = paginate_request(request, stmt, [(LedgerEntry.id, "desc")])
    return {
        "balances": balances,
        "items": [entry_data(row) for row in rows],
        "next_cursor": next_cursor,
    }
