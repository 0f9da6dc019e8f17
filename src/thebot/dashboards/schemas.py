"""Colander schema of a dashboard body (for the OpenAPI document)."""

from __future__ import annotations

from typing import Any

import colander

from thebot.accounts.users.schemas import BriefUser


class OpenMapping(colander.MappingSchema):
    def schema_type(self, **kw: Any) -> colander.Mapping:
        return colander.Mapping(unknown="preserve")


class DashboardSchema(colander.MappingSchema):
    role = colander.SchemaNode(colander.String())
    user = BriefUser()
    generated_at = colander.SchemaNode(colander.DateTime())
    sections = OpenMapping(description="one key per section; features register their own")
