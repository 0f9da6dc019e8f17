"""The payments API's collections, by role (each sub-package has the factory of its own
objects); ``viewer_of`` and ``DENY_REST`` for those factories."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone

from thebot.accounts.models import Role, User
from thebot.permissions import (
    BUY_PACKAGE,
    CREATE_INVOICE,
    CREATE_SUBSCRIPTION,
    LIST_INVOICES,
    LIST_PAYMENTS,
    LIST_SUBSCRIPTIONS,
    MANAGE_PRICES,
    VIEW_CREDITS,
    VIEW_LEDGER,
    VIEW_PRICES,
)

ADMIN = f"role:{Role.ADMIN.value}"
PARENT = f"role:{Role.PARENT.value}"
TUTOR = f"role:{Role.TUTOR.value}"
DENY_REST = (Deny, Everyone, ALL_PERMISSIONS)


def viewer_of(request: Any) -> User | None:
    """The calling user (``None`` for anonymous callers and the monitoring token)."""
    return getattr(request.identity, "user", None)


class PaymentsRoot:
    """Collections, before any object is chosen: lists are filtered per caller."""

    __acl__ = [
        (Allow, ADMIN, (VIEW_LEDGER, MANAGE_PRICES, CREATE_INVOICE, BUY_PACKAGE)),
        (Allow, TUTOR, CREATE_INVOICE),
        (Allow, PARENT, (BUY_PACKAGE, CREATE_SUBSCRIPTION)),
        (
            Allow,
            Authenticated,
            (LIST_PAYMENTS, LIST_INVOICES, VIEW_PRICES, VIEW_CREDITS, LIST_SUBSCRIPTIONS),
        ),
        DENY_REST,
    ]

    def __init__(self, request: Any):
        self.request = request
