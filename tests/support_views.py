"""A test-only service, included through the ``includes`` setting (as an integrator would)."""

from __future__ import annotations

import colander
from pyramid.security import NO_PERMISSION_REQUIRED

from thebot.api import ApiService
from thebot.schemas import StrictMapping


class EchoBody(StrictMapping):
    name = colander.SchemaNode(colander.String(), validator=colander.Length(1, 20))
    count = colander.SchemaNode(colander.Integer(), validator=colander.Range(0, 10), missing=0)


class EchoRequest(colander.MappingSchema):
    body = EchoBody()


echo = ApiService(name="test_echo", path="/api/test/echo/", description="echo")
boom = ApiService(name="test_boom", path="/api/test/boom/", description="raises")


@echo.post(permission=NO_PERMISSION_REQUIRED, schema=EchoRequest())
def post_echo(request):
    return request.validated["body"]


@boom.get(permission=NO_PERMISSION_REQUIRED)
def get_boom(request):
    raise RuntimeError("secret internals")


def includeme(config):
    config.scan(__name__)


mail = ApiService(name="test_mail", path="/api/test/mail/", description="enqueue an email")


class MailBody(StrictMapping):
    to = colander.SchemaNode(colander.String(), validator=colander.Email())
    fail = colander.SchemaNode(colander.Boolean(), missing=False)


class MailRequest(colander.MappingSchema):
    body = MailBody()


@mail.post(permission=NO_PERMISSION_REQUIRED, schema=MailRequest())
def post_mail(request):
    """Enqueue an email, then fail if asked: the message must only leave after commit."""
    from thebot.tasks import enqueue

    body = request.validated["body"]
    enqueue(request, "notifications.send_email", [body["to"]], "Hello", "Body text")
    if body["fail"]:
        raise RuntimeError("abort after enqueue")
    return {"queued": True}
