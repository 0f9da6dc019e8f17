"""Money: ``Decimal`` amounts with two places and an ISO currency; decimal strings on the wire.

A client never sends an amount to pay: the server computes it from what is paid for. Only
admins and tutors write amounts (prices, invoice lines, a partial refund), through
``MoneyAmount`` which refuses floats, more than two decimals and values out of range.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import colander
from sqlalchemy import Numeric, String
from sqlalchemy.orm import mapped_column

from thebot.schemas import Field, StrictMapping

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999.99")  # Numeric(12, 2)
AMOUNT_RE = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def amount_column(**kw: Any) -> Any:
    return mapped_column(Numeric(12, 2, asdecimal=True), nullable=kw.pop("nullable", False), **kw)


def currency_column(**kw: Any) -> Any:
    return mapped_column(String(3), nullable=False, default="RUB", **kw)


def quantize(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def wire(amount: Decimal | None, currency: str) -> dict[str, str] | None:
    """``{"amount": "5000.00", "currency": "RUB"}``."""
    if amount is None:
        return None
    return {"amount": f"{quantize(amount):.2f}", "currency": currency}


class DecimalString(colander.SchemaType):
    """A non-negative amount as a decimal string with at most two places (``"5000.00"``)."""

    json_schema = {"type": "string", "format": "decimal", "pattern": AMOUNT_RE.pattern}

    def serialize(self, node: Any, appstruct: Any) -> Any:
        if appstruct is colander.null or appstruct is None:
            return colander.null
        return f"{quantize(appstruct):.2f}"

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, str) or not AMOUNT_RE.match(cstruct.strip()):
            raise colander.Invalid(node, 'Expected a decimal string like "5000.00"')
        try:
            return quantize(cstruct.strip())
        except InvalidOperation as exc:  # pragma: no cover - the pattern rules it out
            raise colander.Invalid(node, "Not a decimal") from exc


class Currency(colander.SchemaType):
    json_schema = {"type": "string", "pattern": CURRENCY_RE.pattern, "examples": ["RUB"]}

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return appstruct

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, str) or not CURRENCY_RE.match(cstruct):
            raise colander.Invalid(node, "Expected an ISO 4217 code like RUB")
        return cstruct


def positive(node: Any, value: Decimal) -> None:
    if value <= ZERO:
        raise colander.Invalid(node, "Must be more than 0.00")
    if value > MAX_AMOUNT:
        raise colander.Invalid(node, f"At most {MAX_AMOUNT}")


class MoneyIn(StrictMapping):
    """A money value sent by an admin or tutor: ``{"amount": "5000.00", "currency"?}``."""

    amount = Field(DecimalString(), validator=positive)
    currency = Field(Currency(), missing=colander.drop)


class MoneyOut(colander.MappingSchema):
    amount = colander.SchemaNode(colander.String())
    currency = colander.SchemaNode(colander.String())


def money_out(**kw: Any) -> MoneyOut:
    return MoneyOut(**kw)
