"""The OpenAPI 3.1 document of the API, and the interactive reference at ``/api/docs/``.

``document`` walks the Cornice services; ``schemas`` turns colander nodes into JSON Schema;
``problems`` and ``security`` hold the shared components; ``views`` serves both pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thebot.api import Request


class DocumentationPredicate:
    """A view argument that only documents the view (``tags``, ``response_schemas``,
    ``problems``): it always matches, and it is read back from the Cornice definitions."""

    def __init__(self, value: Any, config: Any):
        self.value = value

    def text(self) -> str:
        return f"documentation = {self.value!r}"

    phash = text

    def __call__(self, context: Any, request: Request) -> bool:
        return True


def includeme(config: Any) -> None:
    """Include before the features: their views use the documentation arguments."""
    for name in ("response_schemas", "tags", "problems"):
        config.add_view_predicate(name, DocumentationPredicate)
    config.include("thebot.openapi.views")
