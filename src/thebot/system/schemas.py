"""Query-string schemas of the system endpoints."""

from __future__ import annotations

import colander

from thebot.api import StrictMapping


class MetricsQuery(StrictMapping):
    format = colander.SchemaNode(
        colander.String(), validator=colander.OneOf(["json", "prometheus"]), missing=colander.drop
    )


class MetricsRequest(colander.MappingSchema):
    querystring = MetricsQuery()


class NoQuery(colander.MappingSchema):
    querystring = StrictMapping(missing=colander.drop)


class HealthResponse(colander.MappingSchema):
    status = colander.SchemaNode(colander.String())
    timestamp = colander.SchemaNode(colander.String())
