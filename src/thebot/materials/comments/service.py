"""Comments on materials: threads up to three levels, soft delete, moderation.

- A comment answers the material (depth 1) or another comment of the same material (its
  depth + 1); answering a depth-3 comment, a deleted comment or a comment of another
  material is a 400.
- Deleting is soft: the row stays so its replies keep their place, and the thread shows
  a placeholder (no author, no body) where it was.
- Moderators (those who may edit the material: admins and its subject's teachers and
  tutors) flag comments; a flagged comment's body is withheld from everyone but its
  author and the moderators.
- Lists page through the top-level comments (oldest first); each comes with its whole
  thread, loaded for the page in one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased

from thebot.accounts.models import User
from thebot.accounts.users.service import brief
from thebot.catalog.subjects import users_by_id
from thebot.db import utcnow
from thebot.errors import Invalid
from thebot.events import record
from thebot.materials.events import CommentPosted
from thebot.materials.models import Material, MaterialComment
from thebot.schemas import iso

MAX_DEPTH = 3


def add_comment(
    dbsession: Session, author: User, material: Material, body: str, parent_id: int | None
) -> MaterialComment:
    depth = 1
    if parent_id is not None:
        parent = dbsession.get(MaterialComment, parent_id)
        if parent is None or parent.material_id != material.id:
            raise Invalid("parent_id", "No such comment on this material")
        if parent.deleted_at is not None:
            raise Invalid("parent_id", "That comment was deleted; it cannot be answered")
        if parent.depth >= MAX_DEPTH:
            raise Invalid(
                "parent_id",
                f"Threads are at most {MAX_DEPTH} levels deep; answer a higher comment",
            )
        depth = parent.depth + 1
    comment = MaterialComment(
        material_id=material.id,
        author_id=author.id,
        parent_id=parent_id,
        depth=depth,
        body=body,
        is_flagged=False,
    )
    dbsession.add(comment)
    dbsession.flush()
    event = CommentPosted(
        material_id=material.id,
        comment_id=comment.id,
        author_id=comment.author_id,
        parent_id=comment.parent_id,
    )
    record(dbsession, event)
    return comment


def delete_comment(dbsession: Session, comment: MaterialComment) -> None:
    comment.deleted_at = utcnow()
    dbsession.flush()


def set_flag(dbsession: Session, comment: MaterialComment, flagged: bool) -> bool:
    """Set the moderation flag; returns whether it changed."""
    if comment.is_flagged == flagged:
        return False
    comment.is_flagged = flagged
    dbsession.flush()
    return True


# --- reading ----------------------------------------------------------------------------


def top_level_query(material: Material) -> Select:
    return select(MaterialComment).where(
        MaterialComment.material_id == material.id, MaterialComment.parent_id.is_(None)
    )


LIST_ORDER = ((MaterialComment.created_at, "asc"), (MaterialComment.id, "asc"))


def replies_of(dbsession: Session, root_ids: Sequence[int]) -> list[MaterialComment]:
    """Every reply below these top-level comments (depths 2 and 3), in one query."""
    if not root_ids:
        return []
    middle = aliased(MaterialComment)
    second_level = select(middle.id).where(middle.parent_id.in_(root_ids))
    stmt = (
        select(MaterialComment)
        .where(
            or_(
                MaterialComment.parent_id.in_(root_ids),
                MaterialComment.parent_id.in_(second_level),
            )
        )
        .order_by(MaterialComment.created_at, MaterialComment.id)
    )
    return list(dbsession.scalars(stmt))


def comment_data(
    comment: MaterialComment, author: User | None, *, viewer: User, moderator: bool
) -> dict[str, Any]:
    """One comment as ``viewer`` sees it: deleted ones as placeholders, flagged ones without
    their body unless the viewer wrote it or moderates."""
    deleted = comment.deleted_at is not None
    hidden = comment.is_flagged and not moderator and comment.author_id != viewer.id
    return {
        "id": comment.id,
        "material_id": comment.material_id,
        "parent_id": comment.parent_id,
        "depth": comment.depth,
        "author": brief(author) if author is not None and not deleted else None,
        "body": None if deleted or hidden else comment.body,
        "is_deleted": deleted,
        "is_flagged": comment.is_flagged,
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
    }


def single_comment_data(
    dbsession: Session, comment: MaterialComment, *, viewer: User, moderator: bool
) -> dict[str, Any]:
    author = dbsession.get(User, comment.author_id)
    return comment_data(comment, author, viewer=viewer, moderator=moderator)


def threads_data(
    dbsession: Session,
    roots: Sequence[MaterialComment],
    *,
    viewer: User,
    moderator: bool,
) -> list[dict[str, Any]]:
    """The top-level comments of a page, each with ``replies`` nested (2 queries)."""
    replies = replies_of(dbsession, [c.id for c in roots])
    authors = users_by_id(dbsession, (c.author_id for c in [*roots, *replies]))
    children: dict[int, list[MaterialComment]] = defaultdict(list)
    for reply in replies:
        children[reply.parent_id].append(reply)  # type: ignore[index]

    def tree(comment: MaterialComment) -> dict[str, Any]:
        data = comment_data(
            comment, authors.get(comment.author_id), viewer=viewer, moderator=moderator
        )
        if comment.depth < MAX_DEPTH:
            data["replies"] = [tree(child) for child in children.get(comment.id, [])]
        return data

    return [tree(root) for root in roots]
