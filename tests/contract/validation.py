"""Check a WebTest response against the operation of the OpenAPI document it answers."""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:thebot:openapi"
PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")


class Contract:
    """The document, with each path template compiled to match concrete paths.

    ``strict``: response objects that list their properties and do not say otherwise are
    checked as closed, so a field a view adds without documenting it is caught (the
    document itself leaves them open: new fields are not a breaking change for clients).
    """

    def __init__(self, document: dict[str, Any], strict: bool = True):
        document = copy.deepcopy(document)
        if strict:
            for item in document["paths"].values():
                for operation in item.values():
                    for response in operation["responses"].values():
                        for media in response.get("content", {}).values():
                            close_objects(media.get("schema", {}))
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOCUMENT_URI, resource)
        self.templates = [
            (re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(p)) + "$"), p)
            for p in document["paths"]
        ]

    def template_of(self, path: str) -> str:
        matches = [t for regex, t in self.templates if regex.match(path)]
        assert matches, f"{path} is not in the document"
        return min(matches, key=lambda t: t.count("{"))  # a literal segment beats a placeholder

    def check(self, method: str, path: str, response: Any) -> None:
        """The status is declared for the operation, and a JSON body matches its schema."""
        template = self.template_of(path.split("?", 1)[0])
        operation = self.document["paths"][template][method.lower()]
        status = str(response.status_int)
        where = f"{method} {path} -> {status}"
        assert status in operation["responses"], f"{where}: status not documented"
        if status == "304" or method == "HEAD" or not response.body:
            return
        pointer = f"/paths/{escape(template)}/{method.lower()}/responses/{status}"
        declared = operation["responses"][status]
        if "$ref" in declared:
            pointer = declared["$ref"].lstrip("#")
            declared = self.resolve(pointer)
        media = response.content_type
        assert media in declared.get("content", {}), f"{where}: {media} not documented"
        if not media.endswith("json"):
            return
        schema = {"$ref": f"{DOCUMENT_URI}#{pointer}/content/{escape(media)}/schema"}
        validator = jsonschema.Draft202012Validator(
            schema, registry=self.registry, format_checker=jsonschema.FormatChecker()
        )
        errors = sorted(validator.iter_errors(response.json), key=lambda e: list(e.path))
        assert not errors, f"{where}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:5]
        )

    def resolve(self, pointer: str) -> Any:
        node: Any = self.document
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node


def close_objects(schema: Any) -> None:
    if isinstance(schema, list):
        for each in schema:
            close_objects(each)
    elif isinstance(schema, dict):
        if schema.get("type") == "object" and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            if isinstance(value, dict | list):
                close_objects(value)


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")
