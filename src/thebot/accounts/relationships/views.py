"""Accounts API: a tutor's students, a parent's children, parent links, pairing codes."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.response import Response

from thebot.accounts.auth.ratelimit import enforce
from thebot.accounts.models import ParentLink, User
from thebot.accounts.relationships import service as relationships
from thebot.accounts.relationships.resources import ChildLinkResource, RelationshipsRoot
from thebot.accounts.relationships.schemas import (
    CreatedStudent,
    CreatePairingCodeRequest,
    CreateStudentRequest,
    PairingCodeSchema,
    ParentLinkPage,
    ParentLinkRequest,
    ParentLinkSchema,
    RedeemedSchema,
    RedeemPairingCodeRequest,
    StudentPage,
    UnlinkChildRequest,
)
from thebot.accounts.users import profiles, service
from thebot.accounts.users.resources import UserResource, current_user
from thebot.accounts.users.schemas import PageRequest
from thebot.api import ApiService, Request, parse_id
from thebot.audit import audit
from thebot.errors import Invalid
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    CREATE_PAIRING_CODE,
    MANAGE_PARENT_LINKS,
    MANAGE_STUDENTS,
    REDEEM_PAIRING_CODE,
    UNLINK_CHILD,
    VIEW_CHILDREN,
    VIEW_PARENT_LINKS,
)
from thebot.responses import created, no_content
from thebot.schemas import NoContent, NoQueryRequest, responds

TAGS = ["accounts"]

students = ApiService(
    name="accounts_students",
    path="/api/accounts/students/",
    description="A tutor's students; POST creates a student (and parent) with credentials",
    factory=RelationshipsRoot,
)
children = ApiService(
    name="accounts_children",
    path="/api/accounts/children/",
    description="A parent's children",
    factory=RelationshipsRoot,
)
child = ApiService(
    name="accounts_child",
    path="/api/accounts/children/{user_id}/",
    description="Remove a parent-child link (the parent; admins add ?parent=<id>)",
    factory=ChildLinkResource,
)
parents = ApiService(
    name="accounts_user_parents",
    path="/api/accounts/users/{user_id}/parents/",
    description="Parent links of a student (admins, the student's tutor)",
    factory=UserResource,
)
parent_link = ApiService(
    name="accounts_user_parent",
    path="/api/accounts/users/{user_id}/parents/{parent_id}/",
    description="Remove one parent link of a student",
    factory=UserResource,
)
pairing_codes = ApiService(
    name="accounts_pairing_codes",
    path="/api/accounts/pairing-codes/",
    description="Single-use code (24 h) with which a parent links a child",
    factory=RelationshipsRoot,
)
pairing_redeem = ApiService(
    name="accounts_pairing_redeem",
    path="/api/accounts/pairing-codes/redeem/",
    description="A parent redeems a pairing code",
    factory=RelationshipsRoot,
)


def student_items(request: Request, rows: list[User]) -> list[dict[str, Any]]:
    """Students with their profiles (callers of these lists may see private fields)."""
    by_id = profiles.student_profiles(request.dbsession, rows, private=True)
    return [{**service.user_data(u), "profile": by_id[u.id]} for u in rows]


def link_changed(request: Request, action: str, link: ParentLink) -> None:
    """After a parent link was created or removed (the service reported it): audit it."""
    audit(
        request,
        action,
        target_type="parent_link",
        target_id=link.id,
        student_id=link.student_id,
        parent_id=link.parent_id,
    )


# --- a tutor's students -----------------------------------------------------------------


@students.get(
    permission=MANAGE_STUDENTS,
    schema=PageRequest(),
    tags=TAGS,
    response_schemas=responds(StudentPage, "The caller's students"),
)
def list_students(request: Request) -> dict[str, Any]:
    """The students the calling tutor teaches, with their profiles."""
    stmt = relationships.students_query(current_user(request))
    rows, next_cursor = paginate_request(request, stmt, [(User.id, "asc")])
    return page_body(student_items(request, rows), next_cursor)


@students.post(
    permission=MANAGE_STUDENTS,
    schema=CreateStudentRequest(),
    tags=TAGS,
    response_schemas=responds(CreatedStudent, "The new accounts and their credentials", 201),
)
def create_student(request: Request) -> dict[str, Any]:
    """A student taught by the caller plus a new parent (``parent``) or an existing one
    (``parent_id``); the generated passwords are in ``credentials``, this once only."""
    body = request.validated["body"]
    result = relationships.create_student(
        request.dbsession,
        tutor=current_user(request),
        student=body["student"],
        parent=body.get("parent"),
        parent_id=body.get("parent_id"),
    )
    for credentials in result.credentials:
        audit(
            request,
            "account.created",
            target_type="user",
            target_id=credentials["user_id"],
            role=credentials["role"],
        )
    if result.link is not None:
        link_changed(request, "parent_link.created", result.link)
    created(request, "accounts_user", user_id=result.student.id)
    request.response.cache_control = "no-store"
    return {
        "student": student_items(request, [result.student])[0],
        "parent": service.user_data(result.parent) if result.parent is not None else None,
        "credentials": result.credentials,
    }


# --- a parent's children ----------------------------------------------------------------


@children.get(
    permission=VIEW_CHILDREN,
    schema=PageRequest(),
    tags=TAGS,
    response_schemas=responds(StudentPage, "The caller's children"),
)
def list_children(request: Request) -> dict[str, Any]:
    stmt = relationships.children_query(current_user(request))
    rows, next_cursor = paginate_request(request, stmt, [(User.id, "asc")])
    return page_body(student_items(request, rows), next_cursor)


@child.delete(
    permission=UNLINK_CHILD,
    schema=UnlinkChildRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Link removed", 204),
)
def unlink_child(request: Request) -> Response:
    """The parent (or an admin, naming the parent with ``?parent=<id>``) removes the link."""
    link = request.context.link
    relationships.unlink(request.dbsession, link)
    link_changed(request, "parent_link.removed", link)
    return no_content()


# --- parent links of a student ----------------------------------------------------------


def link_item(link: ParentLink) -> dict[str, Any]:
    return {
        "id": link.id,
        "student_id": link.student_id,
        "parent": service.user_data(link.parent),
        "created_at": service.iso(link.created_at),
        "created_by_id": link.created_by_id,
    }


@parents.get(
    permission=VIEW_PARENT_LINKS,
    schema=PageRequest(),
    tags=TAGS,
    response_schemas=responds(ParentLinkPage, "Parent links of the student"),
)
def list_parent_links(request: Request) -> dict[str, Any]:
    stmt = relationships.parent_links_query(request.context.user)
    rows, next_cursor = paginate_request(request, stmt, [(ParentLink.id, "asc")])
    return page_body([link_item(link) for link in rows], next_cursor)


@parents.post(
    permission=MANAGE_PARENT_LINKS,
    schema=ParentLinkRequest(),
    tags=TAGS,
    response_schemas={
        **responds(ParentLinkSchema, "The new link", 201),
        **responds(ParentLinkSchema, "The link already existed", 200),
    },
)
def create_parent_link(request: Request) -> dict[str, Any]:
    """Link an existing parent account (201; 200 when they were already linked)."""
    actor = current_user(request)
    student = request.context.user
    parent = relationships.find_parent(
        request.dbsession, actor, request.validated["body"]["parent_id"]
    )
    link, is_new = relationships.link_parent(
        request.dbsession, student=student, parent=parent, actor=actor
    )
    if is_new:
        link_changed(request, "parent_link.created", link)
        created(request, "accounts_user_parent", user_id=student.id, parent_id=parent.id)
    return link_item(link)


@parent_link.delete(
    permission=MANAGE_PARENT_LINKS,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Link removed", 204),
)
def delete_parent_link(request: Request) -> Response:
    parent_id = parse_id(request.matchdict.get("parent_id"))
    link = (
        relationships.get_link(request.dbsession, request.context.user.id, parent_id)
        if parent_id
        else None
    )
    if link is None:
        raise HTTPNotFound()
    relationships.unlink(request.dbsession, link)
    link_changed(request, "parent_link.removed", link)
    return no_content()


# --- pairing codes ----------------------------------------------------------------------


@pairing_codes.post(
    permission=CREATE_PAIRING_CODE,
    schema=CreatePairingCodeRequest(),
    tags=TAGS,
    response_schemas=responds(PairingCodeSchema, "The code, shown this once", 201),
)
def create_pairing_code(request: Request) -> dict[str, Any]:
    """A student for themself (no body), or their tutor or an admin with ``student_id``."""
    actor = current_user(request)
    student_id = request.validated["body"].get("student_id")
    if student_id is None:
        if actor.role != "student":
            raise Invalid("student_id", "Required: the student to pair")
        student_id = actor.id
    target = request.dbsession.get(User, student_id)
    resource = None
    if target is not None:
        try:
            resource = UserResource(request, target)
        except HTTPNotFound:
            resource = None
    if target is None or resource is None:  # unknown and invisible look the same
        raise Invalid("student_id", "No student with this id that you can see")
    if not resource.allows(CREATE_PAIRING_CODE):
        raise HTTPForbidden()
    code, row = relationships.create_pairing_code(request.dbsession, student=target, actor=actor)
    audit(
        request, "pairing_code.created", target_type="user", target_id=target.id, pairing_id=row.id
    )
    request.response.status = 201
    request.response.cache_control = "no-store"
    return {"code": code, "student_id": target.id, "expires_at": service.iso(row.expires_at)}


@pairing_redeem.post(
    permission=REDEEM_PAIRING_CODE,
    schema=RedeemPairingCodeRequest(),
    tags=TAGS,
    response_schemas=responds(RedeemedSchema, "The linked child (201 new link, 200 old)", 201),
)
def redeem_pairing_code(request: Request) -> dict[str, Any]:
    """Link the caller (a parent) to the code's student; bad codes all get the same 400."""
    parent = current_user(request)
    client = getattr(request, "client_ip", None) or request.remote_addr
    limit = request.registry.settings.get("pairing_rate_limit") or "5/minute"
    enforce(request, "pairing-redeem", f"{client}|{parent.id}", limit)
    link, is_new, student = relationships.redeem_pairing_code(
        request.dbsession, parent=parent, code=request.validated["body"]["code"]
    )
    audit(
        request,
        "pairing_code.redeemed",
        target_type="user",
        target_id=student.id,
        parent_id=parent.id,
    )
    if is_new:
        link_changed(request, "parent_link.created", link)
        request.response.status = 201
    return {"child": student_items(request, [student])[0], "link_id": link.id}
