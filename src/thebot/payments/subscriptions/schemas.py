"""Schemas of subscriptions."""

from __future__ import annotations

import colander

from thebot.pagination import PaginationQuery
from thebot.payments.money import MoneyOut
from thebot.payments.payments.schemas import PaymentSchema
from thebot.payments.subscriptions.models import SubscriptionStatus
from thebot.schemas import DROP, Field, StrictMapping, object_id

STATUSES = tuple(s.value for s in SubscriptionStatus)


class SubscribeBody(StrictMapping):
    enrollment_id = object_id()
    price_id = object_id()
    return_url = Field(colander.String(), validator=colander.url, missing=DROP)


class SubscribeRequest(colander.MappingSchema):
    body = SubscribeBody()


class SubscriptionsQuery(StrictMapping, PaginationQuery):
    status = Field(colander.String(), validator=colander.OneOf(STATUSES), missing=DROP)


class SubscriptionsListRequest(colander.MappingSchema):
    querystring = SubscriptionsQuery()


def _nullable(typ: colander.SchemaType) -> colander.SchemaNode:
    return colander.SchemaNode(typ, missing=None)


class SubscriptionSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    status = colander.SchemaNode(colander.String(), validator=colander.OneOf(STATUSES))
    enrollment_id = colander.SchemaNode(colander.Integer())
    price_id = colander.SchemaNode(colander.Integer())
    payer_id = _nullable(colander.Integer())
    student_id = _nullable(colander.Integer())
    teacher_id = _nullable(colander.Integer())
    price = MoneyOut()
    period_days = colander.SchemaNode(colander.Integer())
    current_period_end = _nullable(colander.String())
    next_charge_at = _nullable(colander.String())
    failed_attempts = colander.SchemaNode(colander.Integer())
    enrollment_flagged = colander.SchemaNode(colander.Boolean())
    cancelled_at = _nullable(colander.String())
    payment = PaymentSchema(missing=colander.drop)


class SubscriptionItems(colander.SequenceSchema):
    item = SubscriptionSchema()


class SubscriptionPage(colander.MappingSchema):
    items = SubscriptionItems()
    next_cursor = _nullable(colander.String())
