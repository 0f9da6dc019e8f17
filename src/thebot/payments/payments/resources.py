"""One payment, seen by the caller: admins, its payer and the tutor/teacher it pays
(``service.can_see``); anyone else gets a 404 from the factory, so existence is never
revealed. Anonymous callers are not looked up and get the forbidden view's 401."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import Allow
from pyramid.httpexceptions import HTTPNotFound

from thebot.accounts.models import Role
from thebot.api import parse_id
from thebot.payments.payments import service
from thebot.payments.payments.models import Payment
from thebot.payments.resources import DENY_REST, viewer_of
from thebot.permissions import REFUND_PAYMENT, VIEW_PAYMENT


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
