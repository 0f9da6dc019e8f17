"""Route factories of the payments API: collections by role, one payment by relation.

Who sees a payment: admins, its payer and the tutor/teacher it pays
(``payments.service.can_see``); anyone else gets a 404 from the factory, so existence is
never revealed. Anonymous callers are not looked up and get the forbidden view's 401.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone
from pyramid.httpexceptions import HTTPNotFound

from thebot.accounts.models import Role, User
from thebot.api import parse_id
from thebot.payments.payments import service
from thebot.payments.payments.models import Payment
from thebot.permissions import (
    BUY_PACKAGE,
    CREATE_INVOICE,
    CREATE_SUBSCRIPTION,
    LIST_INVOICES,
    LIST_PAYMENTS,
    LIST_SUBSCRIPTIONS,
    MANAGE_PRICES,
    REFUND_PAYMENT,
    VIEW_CREDITS,
    VIEW_LEDGER,
    VIEW_PAYMENT,
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


class PaymentResource:
    def __init__(self, request: Any):
        self.request = request
        self.payment: Payment | None = None
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None:
            return
        payment_id = parse_id(request.matchdict.get("id"))
        payment = request.dbsession.get(Payment, payment_id) if payment_id else None
        if payment is None or not service.can_see(viewer, payment):
            raise HTTPNotFound()
        self.payment = payment
        granted: tuple[str, ...] = (VIEW_PAYMENT,)
        if viewer.role == Role.ADMIN.value:
            granted = (VIEW_PAYMENT, REFUND_PAYMENT)
        self.__acl__ = [(Allow, f"user:{viewer.id}", granted), DENY_REST]
