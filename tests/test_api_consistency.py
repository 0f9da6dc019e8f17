"""One naming rule for references in request bodies: ``<name>_id`` (a list: ``<name>_ids``).

Query-string filters keep bare names (``GET /api/reports/?student=``); only bodies are
checked here. A field counts as a reference when it is an integer (or a list of integers)
named after something the application stores: a model (``Lesson`` -> ``lesson``, the last
word of ``StudentReport`` -> ``report``) or a role (``student``, ``teacher``...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import colander
from cornice.service import get_services

from thebot.accounts.models import Role
from thebot.db import Base

# Integers named like a model that are values, not references.
NOT_REFERENCES = {"grade"}  # a student's school year (1-11), not a ``Grade`` row


def stored_things() -> set[str]:
    names = {role.value for role in Role}
    for mapper in Base.registry.mappers:
        words = re.findall(r"[A-Z][a-z0-9]*", mapper.class_.__name__)
        names.add("_".join(words).lower())
        names.add(words[-1].lower())
    return names - NOT_REFERENCES


def body_fields(node: Any, dotted: str = "") -> Iterator[tuple[str, Any]]:
    for child in node.children:
        name = f"{dotted}.{child.name}".lstrip(".")
        yield name, child
        yield from body_fields(child, name)


def bare_reference(node: Any, things: set[str]) -> str | None:
    """The name the field should have, when it is a reference without ``_id``."""
    if isinstance(node.typ, colander.Integer) and node.name in things:
        return f"{node.name}_id"
    integers = (
        isinstance(node.typ, colander.Sequence)
        and bool(node.children)
        and isinstance(node.children[0].typ, colander.Integer)
    )
    if integers and node.name.endswith("s") and node.name[:-1] in things:
        return f"{node.name[:-1]}_ids"
    return None


def test_references_in_request_bodies_are_named_name_id(app):
    things = stored_things()
    outliers = []
    for service in get_services():
        for method, _view, args in service.definitions:
            schema = args.get("schema")
            body = schema.get("body") if schema is not None else None
            if body is None:
                continue
            for dotted, node in body_fields(body):
                better = bare_reference(node, things)
                if better:
                    outliers.append(f"{method} {service.path} {dotted} -> {better}")
    assert outliers == []


def test_the_rule_sees_a_bare_reference():
    """The scan above finds what it is meant to find (a bare ``student`` id, a list of
    ``students``), so an empty result means something."""

    class Body(colander.MappingSchema):
        student = colander.SchemaNode(colander.Integer())
        students = colander.SchemaNode(
            colander.Sequence(), colander.SchemaNode(colander.Integer())
        )
        student_id = colander.SchemaNode(colander.Integer())

    things = stored_things()
    assert {"student", "report", "lesson", "material", "subject"} <= things
    found = {name: bare_reference(node, things) for name, node in body_fields(Body())}
    assert found["student"] == "student_id" and found["students"] == "student_ids"
    assert found["student_id"] is None
