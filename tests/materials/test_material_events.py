"""Comments through the event path end to end: the view records ``CommentPosted``; the
subscriber notifies the material's author in the request's transaction; after the commit
``registry.notify`` reaches after-commit subscribers; a failing subscriber neither fails
the request nor keeps the others from running."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from materials_support import material_url, school_fixture  # noqa: F401
from sqlalchemy import select

from thebot.events import Committing
from thebot.materials.events import CommentPosted
from thebot.notifications.models import Notification


@pytest.fixture
def subscribe(app: Any) -> Iterator[Any]:
    """Register raw handlers on the shared app's registry for one test."""
    added: list[tuple[Any, Any]] = []

    def add(handler: Any, *kinds: Any) -> None:
        app.registry.registerHandler(handler, kinds)
        added.append((handler, kinds))

    yield add
    for handler, kinds in added:
        app.registry.unregisterHandler(handler, kinds)


def post_comment(testapp: Any, school: Any, material: Any) -> Any:
    return testapp.post_json(
        material_url(material, "comments/"),
        {"body": "Where is page 3?"},
        headers=school.headers(school.enrolled),
        status=201,
    )


def notifications_of(dbsession: Any, user_id: int) -> list[Notification]:
    dbsession.expire_all()
    stmt = select(Notification).where(Notification.user_id == user_id)
    return list(dbsession.scalars(stmt))


def test_a_comment_is_announced_after_commit_and_its_author_notified(
    testapp: Any, school: Any, dbsession: Any, subscribe: Any
) -> None:
    material = school.material()
    committed: list[CommentPosted] = []
    subscribe(committed.append, CommentPosted)
    new = post_comment(testapp, school, material).json
    [event] = committed
    assert event == CommentPosted(
        material_id=material.id, comment_id=new["id"], author_id=school.enrolled.id
    )
    assert event.name == "material_comment.posted"
    assert event.user_ids == (school.enrolled.id,)
    assert json.loads(json.dumps(event.payload()))["comment_id"] == new["id"]
    [notice] = notifications_of(dbsession, material.author_id)
    assert notice.kind == "materials.comment"
    assert notice.data == {"material_id": material.id, "comment_id": new["id"]}


def test_a_failing_subscriber_breaks_neither_the_response_nor_the_others(
    testapp: Any, school: Any, dbsession: Any, subscribe: Any
) -> None:
    def broken_inside(committing: Committing, event: CommentPosted) -> None:
        committing.dbsession.add(
            Notification(user_id=school.enrolled.id, kind="materials.comment", title="x")
        )
        committing.dbsession.flush()
        raise RuntimeError("an in-transaction subscriber broke")

    def broken_after(event: CommentPosted) -> None:
        raise RuntimeError("an after-commit subscriber broke")

    material = school.material()
    committed: list[CommentPosted] = []
    subscribe(broken_inside, Committing, CommentPosted)
    subscribe(broken_after, CommentPosted)
    subscribe(committed.append, CommentPosted)
    new = post_comment(testapp, school, material).json
    assert [e.comment_id for e in committed] == [new["id"]]
    assert len(notifications_of(dbsession, material.author_id)) == 1  # the real subscriber
    assert notifications_of(dbsession, school.enrolled.id) == []  # the broken one: undone
