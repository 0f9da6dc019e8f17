"""Templates API: authors of a subject and admins. Structure: ``structure.views``."""

from __future__ import annotations

from typing import Any

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.db import utcnow
from thebot.knowledge.graphs.propagation import propagate
from thebot.knowledge.resources import (
    TEMPLATE_ID_PATH,
    TEMPLATE_PATH,
    KnowledgeRoot,
    TemplateResource,
)
from thebot.knowledge.templates import service, transfer
from thebot.knowledge.templates.schemas import (
    CreateTemplateRequest,
    ExportSchema,
    ImportRequest,
    PropagationSchema,
    TemplatePage,
    TemplateSchema,
    TemplatesListRequest,
    UpdateTemplateRequest,
)
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    KNOWLEDGE_AUTHOR,
    KNOWLEDGE_EDIT_CONTENT,
    KNOWLEDGE_EXPORT,
    KNOWLEDGE_PROPAGATE,
    KNOWLEDGE_VIEW_CONTENT,
)
from thebot.responses import created
from thebot.schemas import EmptyRequest, NoQueryRequest, responds

TAGS = ["knowledge"]

templates = ApiService(
    name="knowledge_templates",
    path="/api/knowledge/templates/",
    description="Graph templates of the subjects the caller authors in",
    factory=KnowledgeRoot,
)
importer = ApiService(
    name="knowledge_template_import",
    path="/api/knowledge/templates/import/",
    description="Import a template exported by THE_BOT (format thebot.knowledge.template)",
    factory=KnowledgeRoot,
)
template = ApiService(
    name="knowledge_template",
    path=TEMPLATE_PATH,
    path_info=TEMPLATE_ID_PATH,
    description="One template: its lessons as nodes and their dependencies",
    factory=TemplateResource,
)
exporter = ApiService(
    name="knowledge_template_export",
    path=TEMPLATE_PATH + "export/",
    path_info=TEMPLATE_ID_PATH,
    description="The template as a versioned JSON document, lessons and elements inlined",
    factory=TemplateResource,
)
propagator = ApiService(
    name="knowledge_template_propagate",
    path=TEMPLATE_PATH + "propagate/",
    path_info=TEMPLATE_ID_PATH,
    description="Apply the template's current structure to the student graphs made from it",
    factory=TemplateResource,
)


@templates.get(
    permission=KNOWLEDGE_AUTHOR,
    schema=TemplatesListRequest(),
    tags=TAGS,
    response_schemas=responds(TemplatePage, "A page of templates, oldest first"),
)
def list_templates(request: Request) -> dict[str, Any]:
    """Templates of the subjects the caller authors in, and their own; filter ``subject``."""
    stmt = service.templates_query(request.context.viewer, request.validated["querystring"])
    rows, next_cursor = paginate_request(request, stmt, service.LIST_ORDER)
    return page_body(service.summaries(request.dbsession, list(rows)), next_cursor)


@templates.post(
    permission=KNOWLEDGE_AUTHOR,
    schema=CreateTemplateRequest(),
    tags=TAGS,
    response_schemas=responds(TemplateSchema, "The new (empty) template", 201),
)
def create_template(request: Request) -> dict[str, Any]:
    new = service.create(request.dbsession, request.context.viewer, request.validated["body"])
    audit(
        request, "knowledge.template_created", target_type="knowledge_template", target_id=new.id
    )
    created(request, "knowledge_template", id=new.id)
    return service.template_data(request.dbsession, new)


@importer.post(
    permission=KNOWLEDGE_AUTHOR,
    schema=ImportRequest(),
    tags=TAGS,
    response_schemas=responds(TemplateSchema, "The imported template", 201),
)
def import_template(request: Request) -> dict[str, Any]:
    """An export document plus ``subject_id``: new elements, lessons and template in that
    subject (one the caller authors in), all or nothing; 400 naming each problem."""
    new = transfer.import_document(
        request.dbsession, request.context.viewer, request.validated["body"]
    )
    audit(
        request, "knowledge.template_imported", target_type="knowledge_template", target_id=new.id
    )
    created(request, "knowledge_template", id=new.id)
    return service.template_data(request.dbsession, new)


@template.get(
    permission=KNOWLEDGE_VIEW_CONTENT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(TemplateSchema, "The template with its nodes and dependencies"),
)
def get_template(request: Request) -> dict[str, Any]:
    return service.template_data(request.dbsession, request.context.row)


@template.patch(
    permission=KNOWLEDGE_EDIT_CONTENT,
    schema=UpdateTemplateRequest(),
    tags=TAGS,
    response_schemas=responds(TemplateSchema, "The changed template"),
)
def update_template(request: Request) -> dict[str, Any]:
    """``title``, ``description`` (the structure is edited through nodes/ and
    dependencies/)."""
    changes = request.validated["body"]
    row = request.context.row
    service.update(request.dbsession, row, dict(changes))
    audit(
        request,
        "knowledge.template_updated",
        target_type="knowledge_template",
        target_id=row.id,
        fields=sorted(changes),
    )
    return service.template_data(request.dbsession, row)


@exporter.get(
    permission=KNOWLEDGE_EXPORT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(ExportSchema, "The export document (format version 1)"),
)
def export_template(request: Request) -> dict[str, Any]:
    row = request.context.row
    request.response.content_disposition = f'attachment; filename="template-{row.id}.json"'
    return transfer.export(request.dbsession, request.context.viewer, row, utcnow().isoformat())


@propagator.post(
    permission=KNOWLEDGE_PROPAGATE,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(PropagationSchema, "What changed in the student graphs"),
)
def propagate_template(request: Request) -> dict[str, Any]:
    """Each student graph made from the template gets its new nodes and dependencies,
    changed dependency types and thresholds, and loses the nodes and dependencies the
    template removed, except nodes of lessons the student started or completed (kept, with
    their progress: ``nodes_kept``). A template edge that would close a cycle with an
    edge the graph's editors added is skipped (``skipped``). Lesson states are refreshed;
    unlocks are announced."""
    row = request.context.row
    outcome = propagate(request.dbsession, row)
    audit(
        request,
        "knowledge.template_propagated",
        target_type="knowledge_template",
        target_id=row.id,
        graphs=outcome["graphs"],
        version=row.version,
    )
    return outcome
