"""A caller whose view of an assignment is scoped to some students (a tutor) reaches an
extension of one of them without a database error (the scope check is one portable query)."""

from __future__ import annotations


def test_tutor_reaching_an_extension_of_their_student_gets_an_answer_not_an_error(
    testapp, make_user, auth_headers
):
    import factories as f

    teacher = make_user("teacher")
    tutor = make_user("tutor")
    student = make_user("student", profile={"tutor_id": tutor.id})
    assignment = f.AssignmentFactory(author_id=teacher.id)
    f.AssignmentAssigneeFactory(assignment_id=assignment.id, student_id=student.id)
    f.AssignmentExtensionFactory(assignment_id=assignment.id, student_id=student.id)
    path = f"/api/assignments/{assignment.id}/extensions/{student.id}/"
    answer = testapp.delete(path, headers=auth_headers(tutor), expect_errors=True)
    assert answer.status_int == 403, answer.text  # found (in the tutor's scope), not theirs
    assert answer.content_type == "application/problem+json"
    stranger = make_user("student")
    f.AssignmentExtensionFactory(assignment_id=assignment.id, student_id=stranger.id)
    other = f"/api/assignments/{assignment.id}/extensions/{stranger.id}/"
    testapp.delete(other, headers=auth_headers(tutor), status=404)
