"""Colander schemas of payments and refunds: query strings, bodies and responses."""

from __future__ import annotations

import colander

from thebot.pagination import PaginationQuery
from thebot.payments.money import DecimalString, MoneyOut, positive
from thebot.payments.payments.models import PaymentStatus, Purpose
from thebot.schemas import Field, QueryBoolean, StrictMapping, boolean, object_id, text

STATUSES = tuple(s.value for s in PaymentStatus)
PURPOSES = tuple(p.value for p in Purpose)


def _nullable_int(name: str) -> colander.SchemaNode:
    return colander.SchemaNode(colander.Integer(), name=name, missing=None)


def _nullable_str(name: str) -> colander.SchemaNode:
    return colander.SchemaNode(colander.String(), name=name, missing=None)


class RefundSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    status = colander.SchemaNode(colander.String())
    money = MoneyOut()
    reason = colander.SchemaNode(colander.String())
    created_at = colander.SchemaNode(colander.String())


class Refunds(colander.SequenceSchema):
    refund = RefundSchema()


class PaymentSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    purpose = colander.SchemaNode(colander.String(), validator=colander.OneOf(PURPOSES))
    status = colander.SchemaNode(colander.String(), validator=colander.OneOf(STATUSES))
    money = MoneyOut()
    refunded = MoneyOut()
    description = colander.SchemaNode(colander.String())
    payer_id = _nullable_int("payer_id")
    payee_id = _nullable_int("payee_id")
    student_id = _nullable_int("student_id")
    invoice_id = _nullable_int("invoice_id")
    price_id = _nullable_int("price_id")
    subscription_id = _nullable_int("subscription_id")
    provider = colander.SchemaNode(colander.String())
    confirmation_url = _nullable_str("confirmation_url")
    needs_review = colander.SchemaNode(colander.Boolean())
    created_at = colander.SchemaNode(colander.String())
    succeeded_at = _nullable_str("succeeded_at")
    payment_method = colander.SchemaNode(colander.String(), missing=colander.drop)
    review_reason = colander.SchemaNode(colander.String(), missing=colander.drop)
    refunds = Refunds(missing=colander.drop)


class PaymentItems(colander.SequenceSchema):
    item = PaymentSchema()


class PaymentPage(colander.MappingSchema):
    items = PaymentItems()
    next_cursor = _nullable_str("next_cursor")


class PaymentsQuery(StrictMapping, PaginationQuery):
    status = Field(colander.String(), validator=colander.OneOf(STATUSES), missing=colander.drop)
    purpose = Field(colander.String(), validator=colander.OneOf(PURPOSES), missing=colander.drop)
    student = object_id(missing=colander.drop)
    needs_review = colander.SchemaNode(QueryBoolean(), missing=colander.drop)


class PaymentsListRequest(colander.MappingSchema):
    querystring = PaymentsQuery()


class RefundBody(StrictMapping):
    amount = Field(DecimalString(), validator=positive, missing=colander.drop)
    reason = text(500, min_length=1)
    force = boolean(missing=False)


class RefundRequest(colander.MappingSchema):
    body = RefundBody()
