"""Invoices API: tutors and admins bill a student's parents; parents pay."""

from __future__ import annotations

from typing import Any

import colander
from pyramid.renderers import render_to_response
from sqlalchemy import select

from thebot.accounts.models import User
from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.idempotency import idempotent
from thebot.pagination import page_body, paginate_request
from thebot.payments.invoices import service
from thebot.payments.invoices.models import Invoice
from thebot.payments.invoices.resources import InvoiceResource
from thebot.payments.invoices.schemas import (
    CreateInvoiceRequest,
    InvoicePage,
    InvoiceSchema,
    InvoicesListRequest,
    PayInvoiceRequest,
    UpdateInvoiceRequest,
)
from thebot.payments.payments.schemas import PaymentSchema
from thebot.payments.payments.service import payment_data
from thebot.payments.providers import provider_for
from thebot.payments.resources import PaymentsRoot, viewer_of
from thebot.permissions import (
    CREATE_INVOICE,
    EDIT_INVOICE,
    LIST_INVOICES,
    PAY_INVOICE,
    VIEW_INVOICE,
)
from thebot.responses import check_if_match, created, with_etag
from thebot.schemas import EmptyRequest, NoQueryRequest, responds

TAGS = ["payments"]

invoices = ApiService(
    name="payments_invoices",
    path="/api/payments/invoices/",
    description="Invoices the caller may see; tutors and admins create them",
    factory=PaymentsRoot,
)
invoice = ApiService(
    name="payments_invoice",
    path="/api/payments/invoices/{id}/",
    description="One invoice; PATCH while draft",
    factory=InvoiceResource,
)
invoice_send = ApiService(
    name="payments_invoice_send",
    path="/api/payments/invoices/{id}/send/",
    description="Send a draft invoice to the student's parents",
    factory=InvoiceResource,
)
invoice_cancel = ApiService(
    name="payments_invoice_cancel",
    path="/api/payments/invoices/{id}/cancel/",
    description="Cancel an unpaid invoice",
    factory=InvoiceResource,
)
invoice_pay = ApiService(
    name="payments_invoice_pay",
    path="/api/payments/invoices/{id}/pay/",
    description="Pay an invoice (a parent of the student): a payment to confirm",
    factory=InvoiceResource,
)
invoice_print = ApiService(
    name="payments_invoice_print",
    path="/api/payments/invoices/{id}/print/",
    description="The invoice as a printable HTML page",
    factory=InvoiceResource,
)


def caller(request: Request) -> User:
    viewer = viewer_of(request)
    assert viewer is not None  # the permission required a signed-in user
    return viewer


def render(request: Request, item: Invoice) -> dict[str, Any]:
    see = request.registry.settings["payments_students_see_amounts"]
    return service.invoice_data(item, caller(request), see)


def audit_invoice(request: Request, action: str, item: Invoice, **details: Any) -> None:
    audit(request, action, target_type="invoice", target_id=item.id, **details)


@invoices.get(
    permission=LIST_INVOICES,
    schema=InvoicesListRequest(),
    tags=TAGS,
    response_schemas=responds(InvoicePage, "A page of invoices, newest first"),
)
def list_invoices(request: Request) -> dict[str, Any]:
    query = request.validated["querystring"]
    stmt = select(Invoice).where(service.visible_invoices_clause(caller(request)))
    if "status" in query:
        stmt = stmt.where(Invoice.status == query["status"])
    if "student" in query:
        stmt = stmt.where(Invoice.student_id == query["student"])
    rows, next_cursor = paginate_request(request, stmt, [(Invoice.id, "desc")])
    return page_body([render(request, item) for item in rows], next_cursor)


@invoices.post(
    permission=CREATE_INVOICE,
    schema=CreateInvoiceRequest(),
    tags=TAGS,
    response_schemas=responds(InvoiceSchema, "The new invoice (draft)", 201),
)
def create_invoice(request: Request) -> dict[str, Any]:
    """The total is computed from the lines; the student must be one the caller teaches."""
    currency = request.registry.settings["payment_currency"]
    item = service.create(request.dbsession, caller(request), request.validated["body"], currency)
    audit_invoice(request, "invoice.created", item, student_id=item.student_id)
    created(request, "payments_invoice", id=item.id)
    return render(request, item)


@invoice.get(
    permission=VIEW_INVOICE,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(InvoiceSchema, "The invoice"),
)
def get_invoice(request: Request) -> dict[str, Any]:
    return with_etag(request, render(request, request.context.invoice))


@invoice.patch(
    permission=EDIT_INVOICE,
    schema=UpdateInvoiceRequest(),
    tags=TAGS,
    response_schemas=responds(InvoiceSchema, "The updated invoice"),
)
def patch_invoice(request: Request) -> dict[str, Any]:
    item = request.context.invoice
    check_if_match(request, render(request, item))
    changed = service.update(request.dbsession, item, request.validated["body"])
    if changed:
        audit_invoice(request, "invoice.updated", item, fields=changed)
    return with_etag(request, render(request, item))


@invoice_send.post(
    permission=EDIT_INVOICE,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(InvoiceSchema, "The sent invoice"),
)
def send_invoice(request: Request) -> dict[str, Any]:
    item = service.send(request.dbsession, request.context.invoice)
    return render(request, item)


@invoice_cancel.post(
    permission=EDIT_INVOICE,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(InvoiceSchema, "The cancelled invoice"),
)
def cancel_invoice(request: Request) -> dict[str, Any]:
    item = service.cancel(request.dbsession, request.context.invoice)
    return render(request, item)


@invoice_pay.post(
    permission=PAY_INVOICE,
    schema=PayInvoiceRequest(),
    tags=TAGS,
    response_schemas=responds(PaymentSchema, "The payment: send the payer to its URL", 201),
)
@idempotent("payments.invoices.pay")
def pay_invoice(request: Request) -> dict[str, Any]:
    """The amount is the invoice's total (never the client's); honours ``Idempotency-Key``."""
    body = request.validated.get("body") or {}
    return_url = body.get("return_url") or request.registry.settings["payment_return_url"]
    payer = caller(request)
    item = service.pay(
        request.dbsession,
        provider_for(request),
        payer,
        request.context.invoice,
        return_url or request.application_url + "/",
    )
    created(request, "payments_payment", id=item.id)
    return payment_data(item, payer)


@invoice_print.get(
    permission=VIEW_INVOICE,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas={
        "200": colander.SchemaNode(
            colander.String(), description="HTML for printing", content_types=("text/html",)
        )
    },
)
def print_invoice(request: Request) -> Any:
    item = request.context.invoice
    data = render(request, item)
    people = {
        u.id: u
        for u in request.dbsession.scalars(
            select(User).where(User.id.in_([i for i in (item.student_id, item.issuer_id) if i]))
        )
    }
    return render_to_response(
        "thebot.payments:templates/invoice.jinja2",
        {
            "invoice": data,
            "student": people.get(item.student_id),
            "issuer": people.get(item.issuer_id),
        },
        request=request,
    )
