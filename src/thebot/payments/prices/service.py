"""Prices (admins): subscriptions per period and lesson packages, per subject (+ teacher)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from thebot.accounts.models import TEACHING_ROLES, Role, User
from thebot.catalog.models import Subject
from thebot.errors import Invalid, field_error
from thebot.payments.money import wire
from thebot.payments.prices.models import Price, PriceKind


def create(dbsession: Session, data: Mapping[str, Any], currency: str) -> Price:
    errors = []
    if dbsession.get(Subject, data["subject_id"]) is None:
        errors.append(field_error("subject_id", "No such subject"))
    teacher_id = data.get("teacher_id")
    if teacher_id is not None:
        teacher = dbsession.get(User, teacher_id)
        if teacher is None or teacher.role not in TEACHING_ROLES or not teacher.is_active:
            errors.append(field_error("teacher_id", "Not an active teacher or tutor"))
    kind = data["kind"]
    if kind == PriceKind.SUBSCRIPTION.value and not data.get("period_days"):
        errors.append(field_error("period_days", "A subscription needs its period in days"))
    if kind == PriceKind.PACKAGE.value and not data.get("lessons"):
        errors.append(field_error("lessons", "A package needs its number of lessons"))
    if errors:
        raise Invalid(errors=errors)
    price = Price(
        kind=kind,
        title=data["title"],
        subject_id=data["subject_id"],
        teacher_id=teacher_id,
        amount=data["price"]["amount"],
        currency=data["price"].get("currency", currency),
        period_days=data.get("period_days") if kind == PriceKind.SUBSCRIPTION.value else None,
        lessons=data.get("lessons") if kind == PriceKind.PACKAGE.value else None,
    )
    dbsession.add(price)
    dbsession.flush()
    return price


def visible_prices_clause(viewer: User) -> ColumnElement[bool]:
    """Admins see retired prices too; everyone else the active ones."""
    return true() if viewer.role == Role.ADMIN.value else Price.is_active.is_(True)


def price_data(price: Price) -> dict[str, Any]:
    return {
        "id": price.id,
        "kind": price.kind,
        "title": price.title,
        "subject_id": price.subject_id,
        "teacher_id": price.teacher_id,
        "price": wire(price.amount, price.currency),
        "period_days": price.period_days,
        "lessons": price.lessons,
        "is_active": price.is_active,
    }
