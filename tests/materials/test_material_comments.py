"""Comments: threads up to three levels, placeholders for deleted comments, soft delete by
the author or an admin, moderation by those who may edit the material."""

from __future__ import annotations

from materials_support import API, material_url, school_fixture  # noqa: F401
from sqlalchemy import select

from factories import MaterialCommentFactory
from thebot.audit import AuditEvent
from thebot.materials.models import MaterialComment
from thebot.notifications.models import Notification

COMMENTS = f"{API}comments/"


def comment(testapp, school, material, body, user=None, parent=None, status=201):
    payload = {"body": body}
    if parent is not None:
        payload["parent_id"] = parent
    return testapp.post_json(
        material_url(material, "comments/"),
        payload,
        headers=school.headers(user or school.enrolled),
        status=status,
    )


def threads(testapp, school, material, user=None, **params):
    return testapp.get(
        material_url(material, "comments/"),
        params,
        headers=school.headers(user or school.enrolled),
    ).json


def test_threads_nest_three_levels(testapp, school):
    material = school.material()
    top = comment(testapp, school, material, "Question?").json
    assert top["depth"] == 1 and top["parent_id"] is None
    assert top["author"]["id"] == school.enrolled.id
    reply = comment(testapp, school, material, "Answer", user=school.teacher, parent=top["id"])
    assert reply.json["depth"] == 2
    assert reply.headers["Location"].endswith(f"{COMMENTS}{reply.json['id']}/")
    third = comment(testapp, school, material, "Thanks", parent=reply.json["id"]).json
    assert third["depth"] == 3
    refused = comment(testapp, school, material, "Too deep", parent=third["id"], status=400).json
    assert refused["errors"][0]["name"] == "parent_id"
    [thread] = threads(testapp, school, material)["items"]
    assert thread["body"] == "Question?"
    [second] = thread["replies"]
    assert second["body"] == "Answer" and second["author"]["id"] == school.teacher.id
    [deepest] = second["replies"]
    assert deepest["body"] == "Thanks" and "replies" not in deepest


def test_replies_must_answer_a_live_comment_of_the_same_material(testapp, school):
    material, other = school.material(), school.material()
    elsewhere = MaterialCommentFactory(material_id=other.id, author_id=school.enrolled.id)
    comment(testapp, school, material, "x", parent=elsewhere.id, status=400)
    comment(testapp, school, material, "x", parent=987654, status=400)
    gone = comment(testapp, school, material, "to delete").json
    testapp.delete(f"{COMMENTS}{gone['id']}/", headers=school.headers(school.enrolled), status=204)
    comment(testapp, school, material, "x", parent=gone["id"], status=400)


def test_bad_bodies_are_400(testapp, school):
    material = school.material()
    for payload in ({}, {"body": ""}, {"body": "   "}, {"body": "x" * 5001}, {"body": 5},
                    {"body": "x", "parent_id": "1"}, {"body": "x", "pinned": True}):  # fmt: skip
        testapp.post_json(
            material_url(material, "comments/"),
            payload,
            headers=school.headers(school.enrolled),
            status=400,
        )


def test_deleted_comments_stay_as_placeholders(testapp, school):
    material = school.material()
    top = comment(testapp, school, material, "Mine").json
    comment(testapp, school, material, "Reply", user=school.teacher, parent=top["id"])
    testapp.delete(f"{COMMENTS}{top['id']}/", headers=school.headers(school.enrolled), status=204)
    [thread] = threads(testapp, school, material, user=school.assigned)["items"]
    assert thread["is_deleted"] is True
    assert thread["body"] is None and thread["author"] is None
    assert thread["replies"][0]["body"] == "Reply"
    single = testapp.get(f"{COMMENTS}{top['id']}/", headers=school.headers(school.enrolled))
    assert single.json["is_deleted"] is True and single.etag
    testapp.delete(f"{COMMENTS}{top['id']}/", headers=school.headers(school.enrolled), status=404)
    school.dbsession.expire_all()
    assert school.dbsession.get(MaterialComment, top["id"]).body == "Mine"  # soft


def test_only_the_author_or_an_admin_deletes(testapp, school):
    material = school.material(is_public=True)
    mine = comment(testapp, school, material, "Mine").json
    url = f"{COMMENTS}{mine['id']}/"
    for user in (school.assigned, school.teacher, school.enrolled_parent, school.stranger):
        testapp.delete(url, headers=school.headers(user), status=403)
    testapp.delete(url, headers=school.headers(school.admin), status=204)
    [event] = school.dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "comment.deleted")
    )
    assert event.actor_id == school.admin.id and event.details["author_id"] == school.enrolled.id


def test_moderators_flag_and_the_body_is_hidden_from_other_readers(testapp, school):
    material = school.material(is_public=True)  # so the colleague sees it too
    rude = comment(testapp, school, material, "Rude words").json
    url = f"{COMMENTS}{rude['id']}/"
    for user in (
        school.assigned,
        school.enrolled,
        school.enrolled_parent,
        school.stranger_teacher,
    ):
        testapp.patch_json(url, {"is_flagged": True}, headers=school.headers(user), status=403)
    flagged = testapp.patch_json(
        url, {"is_flagged": True}, headers=school.headers(school.colleague)
    )
    assert flagged.json["is_flagged"] is True and flagged.json["body"] == "Rude words"
    hidden = threads(testapp, school, material, user=school.assigned)["items"][0]
    assert hidden["is_flagged"] is True and hidden["body"] is None
    assert threads(testapp, school, material)["items"][0]["body"] == "Rude words"  # its author
    assert threads(testapp, school, material, user=school.teacher)["items"][0]["body"]
    assert threads(testapp, school, material, user=school.admin)["items"][0]["body"]
    assert (
        school.dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "comment.flagged"))
        .one()
        .actor_id
        == school.colleague.id
    )
    etag = testapp.get(url, headers=school.headers(school.admin)).etag
    cleared = testapp.patch_json(
        url,
        {"is_flagged": False},
        headers={**school.headers(school.admin), "If-Match": f'"{etag}"'},
    )
    assert cleared.json["is_flagged"] is False
    testapp.patch_json(
        url,
        {"is_flagged": True},
        headers={**school.headers(school.admin), "If-Match": f'"{etag}"'},
        status=412,
    )
    testapp.patch_json(
        url, {"is_flagged": "yes"}, headers=school.headers(school.admin), status=400
    )


def test_comments_of_an_unseen_material_are_404(testapp, school):
    material = school.material(status="draft")
    note = MaterialCommentFactory(material_id=material.id, author_id=school.teacher.id)
    headers = school.headers(school.enrolled)
    testapp.get(material_url(material, "comments/"), headers=headers, status=404)
    comment(testapp, school, material, "x", status=404)
    testapp.get(f"{COMMENTS}{note.id}/", headers=headers, status=404)
    testapp.delete(f"{COMMENTS}{note.id}/", headers=school.headers(school.admin), status=204)
    testapp.get(f"{COMMENTS}abc/", headers=headers, status=404)
    testapp.get(f"{COMMENTS}{note.id}/", status=401)


def test_authors_hear_of_new_comments_and_replies(testapp, school):
    material = school.material()
    top = comment(testapp, school, material, "Question?").json
    comment(testapp, school, material, "Answer", user=school.teacher, parent=top["id"])
    comment(testapp, school, material, "Self reply", parent=top["id"])  # no self-notification

    def kinds(user):
        return [
            n.kind
            for n in school.dbsession.scalars(
                select(Notification).where(Notification.user_id == user.id)
            )
        ]

    assert kinds(school.teacher) == ["materials.comment"]
    assert kinds(school.enrolled) == ["materials.comment_reply"]


def test_threads_are_paginated_oldest_first(testapp, school):
    material = school.material()
    made = [
        MaterialCommentFactory(material_id=material.id, author_id=school.enrolled.id)
        for _ in range(5)
    ]
    page = threads(testapp, school, material, limit=3)
    rest = threads(testapp, school, material, limit=3, cursor=page["next_cursor"])
    assert [c["id"] for c in page["items"] + rest["items"]] == [c.id for c in made]
    assert rest["next_cursor"] is None


def test_comment_list_query_count_is_constant(testapp, school, make_user, queries_for_1_and_30):
    material = school.material()
    headers = school.headers(school.enrolled)

    url = material_url(material, "comments/")

    def add(n):  # n threads, each three deep
        for _ in range(n):
            top = MaterialCommentFactory(
                material_id=material.id, author_id=make_user("student").id
            )
            middle = MaterialCommentFactory(
                material_id=material.id,
                author_id=make_user("student").id,
                parent_id=top.id,
                depth=2,
            )
            MaterialCommentFactory(
                material_id=material.id, author_id=school.teacher.id, parent_id=middle.id, depth=3
            )

    _, items = queries_for_1_and_30(add, lambda: testapp.get(url, headers=headers).json["items"])
    assert all(t["replies"][0]["replies"] for t in items)
