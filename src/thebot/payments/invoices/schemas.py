"""Colander schemas of invoices: bodies, query strings and responses."""

from __future__ import annotations

import colander

from thebot.pagination import PaginationQuery
from thebot.payments.invoices.models import InvoiceStatus
from thebot.payments.money import DecimalString, MoneyOut
from thebot.schemas import DROP, Field, StrictMapping, integer, object_id, text

STATUSES = tuple(s.value for s in InvoiceStatus)


def _unit_price(node: colander.SchemaNode, value: object) -> None:
    from decimal import Decimal

    if value < Decimal("0.00") or value > Decimal("9999999999.99"):  # type: ignore[operator]
        raise colander.Invalid(node, "Out of range")


class LineIn(StrictMapping):
    description = text(300, min_length=1)
    quantity = integer(1, 10000, missing=1)
    unit_price = Field(DecimalString(), validator=_unit_price)


class LinesIn(colander.SequenceSchema):
    line = LineIn()
    validator = colander.Length(1, 100)


class CreateInvoiceBody(StrictMapping):
    student_id = object_id()
    description = text(2000, missing="")
    due_date = Field(colander.Date())
    lines = LinesIn()


class CreateInvoiceRequest(colander.MappingSchema):
    body = CreateInvoiceBody()


class UpdateInvoiceBody(StrictMapping):
    description = text(2000, missing=DROP)
    due_date = Field(colander.Date(), missing=DROP)
    lines = LinesIn(missing=DROP)


class UpdateInvoiceRequest(colander.MappingSchema):
    body = UpdateInvoiceBody()


class InvoicesQuery(StrictMapping, PaginationQuery):
    status = Field(colander.String(), validator=colander.OneOf(STATUSES), missing=DROP)
    student = object_id(missing=DROP)


class InvoicesListRequest(colander.MappingSchema):
    querystring = InvoicesQuery()


class PayInvoiceBody(StrictMapping):
    return_url = Field(
        colander.String(), validator=colander.url, missing=DROP, description="after paying"
    )


class PayInvoiceRequest(colander.MappingSchema):
    body = PayInvoiceBody(missing=DROP)


class MoneyOrHidden(MoneyOut):
    """``null`` for a student when amounts are hidden from students."""

    missing = None


class LineOut(colander.MappingSchema):
    description = colander.SchemaNode(colander.String())
    quantity = colander.SchemaNode(colander.Integer())
    unit_price = MoneyOrHidden()
    amount = MoneyOrHidden()


class LinesOut(colander.SequenceSchema):
    line = LineOut()


def _nullable(typ: colander.SchemaType) -> colander.SchemaNode:
    return colander.SchemaNode(typ, missing=None)


class InvoiceSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    status = colander.SchemaNode(colander.String(), validator=colander.OneOf(STATUSES))
    student_id = _nullable(colander.Integer())
    issuer_id = _nullable(colander.Integer())
    payee_id = _nullable(colander.Integer())
    description = colander.SchemaNode(colander.String())
    due_date = colander.SchemaNode(colander.String())
    total = MoneyOrHidden()
    lines = LinesOut()
    created_at = colander.SchemaNode(colander.String())
    sent_at = _nullable(colander.String())
    paid_at = _nullable(colander.String())
    cancelled_at = _nullable(colander.String())


class InvoiceItems(colander.SequenceSchema):
    item = InvoiceSchema()


class InvoicePage(colander.MappingSchema):
    items = InvoiceItems()
    next_cursor = _nullable(colander.String())
