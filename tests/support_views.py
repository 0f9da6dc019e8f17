"""A test-only service, included through the ``includes`` setting (as an integrator would)."""

from __future__ import annotations

import colander
from pyramid.security import NO_PERMISSION_REQUIRED

from thebot.api import ApiService, StrictMapping


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
