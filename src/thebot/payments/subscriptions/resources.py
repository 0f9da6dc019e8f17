"""One subscription: admins, its payer and the teacher it pays; anyone else a 404."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import Allow
from pyramid.httpexceptions import HTTPNotFound

from thebot.accounts.models import Role
from thebot.api import parse_id
from thebot.payments.resources import DENY_REST, viewer_of
from thebot.payments.subscriptions import service
from thebot.payments.subscriptions.models import Subscription
from thebot.permissions import CANCEL_SUBSCRIPTION, LIST_SUBSCRIPTIONS


class SubscriptionResource:
    def __init__(self, request: Any):
        self.request = request
        self.subscription: Subscription | None = None
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None:
            return
        item_id = parse_id(request.matchdict.get("id"))
        item = request.dbsession.get(Subscription, item_id) if item_id else None
        if item is None or not service.can_see(viewer, item):
            raise HTTPNotFound()
        self.subscription = item
        granted: tuple[str, ...] = (LIST_SUBSCRIPTIONS,)
        if viewer.role == Role.ADMIN.value or viewer.id == item.payer_id:
            granted = (LIST_SUBSCRIPTIONS, CANCEL_SUBSCRIPTION)
        self.__acl__ = [(Allow, f"user:{viewer.id}", granted), DENY_REST]
