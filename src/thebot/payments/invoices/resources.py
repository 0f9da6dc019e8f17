"""One invoice, as the caller relates to it (``invoices.service.relation``); else a 404."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import Allow
from pyramid.httpexceptions import HTTPNotFound

from thebot.api import parse_id
from thebot.payments.invoices import service
from thebot.payments.invoices.models import Invoice
from thebot.payments.resources import DENY_REST, viewer_of
from thebot.permissions import EDIT_INVOICE, PAY_INVOICE, VIEW_INVOICE

GRANTS = {
    "admin": (VIEW_INVOICE, EDIT_INVOICE),
    "issuer": (VIEW_INVOICE, EDIT_INVOICE),
    "payee": (VIEW_INVOICE,),
    "parent": (VIEW_INVOICE, PAY_INVOICE),
    "student": (VIEW_INVOICE,),
}


class InvoiceResource:
    def __init__(self, request: Any):
        self.request = request
        self.invoice: Invoice | None = None
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None:
            return
        invoice_id = parse_id(request.matchdict.get("id"))
        invoice = request.dbsession.get(Invoice, invoice_id) if invoice_id else None
        relation = service.relation(request.dbsession, viewer, invoice) if invoice else None
        if relation is None:
            raise HTTPNotFound()
        self.invoice = invoice
        self.relation = relation
        self.__acl__ = [(Allow, f"user:{viewer.id}", GRANTS[relation]), DENY_REST]
