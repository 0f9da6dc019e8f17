"""Schemas of package purchases and credit balances."""

from __future__ import annotations

import colander

from thebot.pagination import PaginationQuery
from thebot.payments.ledger.schemas import Entries
from thebot.schemas import DROP, Field, StrictMapping, object_id


class PurchaseBody(StrictMapping):
    price_id = object_id()
    student_id = object_id()
    return_url = Field(colander.String(), validator=colander.url, missing=DROP)


class PurchaseRequest(colander.MappingSchema):
    body = PurchaseBody()


class CreditsQuery(StrictMapping, PaginationQuery):
    student = object_id(missing=DROP)
    subject = object_id(missing=DROP)


class CreditsListRequest(colander.MappingSchema):
    querystring = CreditsQuery()


class Balance(colander.MappingSchema):
    student_id = colander.SchemaNode(colander.Integer())
    subject_id = colander.SchemaNode(colander.Integer(), missing=None)
    credits = colander.SchemaNode(colander.Integer())


class Balances(colander.SequenceSchema):
    balance = Balance()


class CreditsPage(colander.MappingSchema):
    balances = Balances()
    items = Entries()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)
