"""Schemas of prices."""

from __future__ import annotations

import colander

from thebot.pagination import PaginationQuery
from thebot.payments.money import MoneyIn, MoneyOut
from thebot.payments.prices.models import PriceKind
from thebot.schemas import DROP, Field, StrictMapping, integer, object_id, text

KINDS = tuple(k.value for k in PriceKind)


class CreatePriceBody(StrictMapping):
    kind = Field(colander.String(), validator=colander.OneOf(KINDS))
    title = text(200, min_length=1)
    subject_id = object_id()
    teacher_id = object_id(missing=None)
    price = MoneyIn()
    period_days = integer(1, 366, missing=DROP, description="subscriptions")
    lessons = integer(1, 500, missing=DROP, description="packages")


class CreatePriceRequest(colander.MappingSchema):
    body = CreatePriceBody()


class PricesQuery(StrictMapping, PaginationQuery):
    kind = Field(colander.String(), validator=colander.OneOf(KINDS), missing=DROP)
    subject = object_id(missing=DROP)
    teacher = object_id(missing=DROP)


class PricesListRequest(colander.MappingSchema):
    querystring = PricesQuery()


def _nullable_int() -> colander.SchemaNode:
    return colander.SchemaNode(colander.Integer(), missing=None)


class PriceSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(KINDS))
    title = colander.SchemaNode(colander.String())
    subject_id = colander.SchemaNode(colander.Integer())
    teacher_id = _nullable_int()
    price = MoneyOut()
    period_days = _nullable_int()
    lessons = _nullable_int()
    is_active = colander.SchemaNode(colander.Boolean())


class PriceItems(colander.SequenceSchema):
    item = PriceSchema()


class PricePage(colander.MappingSchema):
    items = PriceItems()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)
