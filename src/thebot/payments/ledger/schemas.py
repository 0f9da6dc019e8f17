"""Schemas of the ledger list (admins)."""

from __future__ import annotations

import colander

from thebot.pagination import PaginationQuery
from thebot.payments.ledger.models import Kind
from thebot.payments.money import MoneyOut
from thebot.schemas import DROP, Field, RFC3339DateTime, StrictMapping

KINDS = tuple(k.value for k in Kind)


class LedgerQuery(StrictMapping, PaginationQuery):
    since = Field(RFC3339DateTime(), missing=DROP, description="created at or after")
    until = Field(RFC3339DateTime(), missing=DROP, description="created before")
    kind = Field(colander.String(), validator=colander.OneOf(KINDS), missing=DROP)


class LedgerListRequest(colander.MappingSchema):
    querystring = LedgerQuery()


def _nullable_int(name: str) -> colander.SchemaNode:
    return colander.SchemaNode(colander.Integer(), name=name, missing=None)


class EntrySchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(KINDS))
    money = MoneyOut(missing=None)
    credits = _nullable_int("credits")
    payment_id = _nullable_int("payment_id")
    refund_id = _nullable_int("refund_id")
    student_id = _nullable_int("student_id")
    subject_id = _nullable_int("subject_id")
    teacher_id = _nullable_int("teacher_id")
    lesson_id = _nullable_int("lesson_id")
    actor_id = _nullable_int("actor_id")
    note = colander.SchemaNode(colander.String())
    created_at = colander.SchemaNode(colander.String())


class Entries(colander.SequenceSchema):
    entry = EntrySchema()


class LedgerPage(colander.MappingSchema):
    items = Entries()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)
