"""Prices API: admins set subscription and package prices; signed-in users read them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.pagination import page_body, paginate_request
from thebot.payments.prices import service
from thebot.payments.prices.models import Price
from thebot.payments.prices.schemas import (
    CreatePriceRequest,
    PricePage,
    PriceSchema,
    PricesListRequest,
)
from thebot.payments.resources import PaymentsRoot, viewer_of
from thebot.permissions import MANAGE_PRICES, VIEW_PRICES
from thebot.schemas import responds

prices = ApiService(
    name="payments_prices",
    path="/api/payments/prices/",
    description="Subscription and lesson-package prices per subject (+ teacher); admins set",
    factory=PaymentsRoot,
)


@prices.get(
    permission=VIEW_PRICES,
    schema=PricesListRequest(),
    tags=["payments"],
    response_schemas=responds(PricePage, "A page of prices"),
)
def list_prices(request: Request) -> dict[str, Any]:
    viewer = viewer_of(request)
    assert viewer is not None
    query = request.validated["querystring"]
    stmt = select(Price).where(service.visible_prices_clause(viewer))
    if "kind" in query:
        stmt = stmt.where(Price.kind == query["kind"])
    if "subject" in query:
        stmt = stmt.where(Price.subject_id == query["subject"])
    if "teacher" in query:
        stmt = stmt.where(Price.teacher_id == query["teacher"])
    rows, next_cursor = paginate_request(request, stmt, [(Price.id, "asc")])
    return page_body([service.price_data(p) for p in rows], next_cursor)


@prices.post(
    permission=MANAGE_PRICES,
    schema=CreatePriceRequest(),
    tags=["payments"],
    response_schemas=responds(PriceSchema, "The new price", 201),
)
def create_price(request: Request) -> dict[str, Any]:
    currency = request.registry.settings["payment_currency"]
    price = service.create(request.dbsession, request.validated["body"], currency)
    audit(request, "price.created", target_type="price", target_id=price.id, kind=price.kind)
    request.response.status = 201
    return service.price_data(price)
