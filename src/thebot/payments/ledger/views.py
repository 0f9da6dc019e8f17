"""The ledger for admins: every movement, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from thebot.api import ApiService, Request
from thebot.pagination import page_body, paginate_request
from thebot.payments.ledger.models import LedgerEntry
from thebot.payments.ledger.schemas import LedgerListRequest, LedgerPage
from thebot.payments.ledger.service import entry_data
from thebot.payments.resources import PaymentsRoot
from thebot.permissions import VIEW_LEDGER
from thebot.schemas import responds

ledger = ApiService(
    name="payments_ledger",
    path="/api/payments/ledger/",
    description="Ledger rows (admins): filters since, until, kind",
    factory=PaymentsRoot,
)


@ledger.get(
    permission=VIEW_LEDGER,
    schema=LedgerListRequest(),
    tags=["payments"],
    response_schemas=responds(LedgerPage, "A page of ledger rows, newest first"),
)
def list_ledger(request: Request) -> dict[str, Any]:
    query = request.validated["querystring"]
    stmt = select(LedgerEntry)
    if "since" in query:
        stmt = stmt.where(LedgerEntry.created_at >= query["since"])
    if "until" in query:
        stmt = stmt.where(LedgerEntry.created_at < query["until"])
    if "kind" in query:
        stmt = stmt.where(LedgerEntry.kind == query["kind"])
    rows, next_cursor = paginate_request(request, stmt, [(LedgerEntry.id, "desc")])
    return page_body([entry_data(row) for row in rows], next_cursor)
