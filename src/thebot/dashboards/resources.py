"""Route factory of the dashboards: each dashboard is for its own role only."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone

from thebot.accounts.models import Role
from thebot.permissions import (
    VIEW_PARENT_DASHBOARD,
    VIEW_STUDENT_DASHBOARD,
    VIEW_TEACHER_DASHBOARD,
    VIEW_TUTOR_DASHBOARD,
)


class DashboardRoot:
    """Each dashboard is for its own role only."""

    __acl__ = [
        (Allow, f"role:{Role.STUDENT.value}", VIEW_STUDENT_DASHBOARD),
        (Allow, f"role:{Role.TEACHER.value}", VIEW_TEACHER_DASHBOARD),
        (Allow, f"role:{Role.TUTOR.value}", VIEW_TUTOR_DASHBOARD),
        (Allow, f"role:{Role.PARENT.value}", VIEW_PARENT_DASHBOARD),
        (Deny, Everyone, ALL_PERMISSIONS),
    ]

    def __init__(self, request: Any):
        self.request = request
