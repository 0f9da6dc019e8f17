"""Fail closed: every registered view names its permission explicitly.

The introspector lists every view of the real application (all features, Cornice's
fallback/HEAD views included). Exception views (not-found, forbidden, error pages) and
static views are exempt; ``NO_PERMISSION_REQUIRED`` counts as explicit, since it is a
decision someone wrote down.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.interfaces import IExceptionResponse
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.static import static_view
from zope.interface.interface import InterfaceClass

from thebot import permissions as security


def known_permissions() -> set[str]:
    """The permission names declared in ``thebot.security`` (the one place they live)."""
    names = {
        value
        for name, value in vars(security).items()
        if name.isupper() and isinstance(value, str)
    }
    return names | {NO_PERMISSION_REQUIRED}


def is_exception_view(intr: Any) -> bool:
    context = intr["context"]
    if intr["exception_only"]:
        return True
    if isinstance(context, type) and issubclass(context, BaseException):
        return True
    return isinstance(context, InterfaceClass) and context.isOrExtends(IExceptionResponse)


def is_static_view(intr: Any) -> bool:
    return isinstance(intr["callable"], static_view)


def describe(intr: Any) -> str:
    return f"{intr['route_name']} {intr['request_methods'] or 'ANY'} -> {intr['callable']!r}"


def view_permissions(registry: Any) -> list[tuple[Any, list[Any]]]:
    """(view introspectable, its permissions) for every view that must declare one."""
    found = []
    for item in registry.introspector.get_category("views"):
        intr = item["introspectable"]
        if is_exception_view(intr) or is_static_view(intr):
            continue
        permissions = [r["value"] for r in item["related"] if r.category_name == "permissions"]
        found.append((intr, permissions))
    return found


def offenders(registry: Any, allowed: set[str]) -> list[str]:
    problems = []
    for intr, permissions in view_permissions(registry):
        if not permissions or any(p is None for p in permissions):
            problems.append(f"no permission: {describe(intr)}")
        elif any(p not in allowed for p in permissions):
            problems.append(f"unknown permission {permissions}: {describe(intr)}")
    return problems


def test_every_view_of_the_app_names_a_known_permission(app):
    views = view_permissions(app.registry)
    assert len(views) > 50  # the walk really saw the application
    routes = {intr["route_name"] for intr, _ in views}
    assert {"accounts_users", "accounts_user", "auth_login", "health"} <= routes
    assert offenders(app.registry, known_permissions()) == []


def test_the_walk_catches_a_view_without_permission():
    def forgot(request):
        return {}

    def public(request):
        return {}

    config = Configurator()
    config.add_route("forgot", "/forgot/")
    config.add_route("public", "/public/")
    config.add_view(forgot, route_name="forgot", renderer="json")
    config.add_view(
        public, route_name="public", renderer="json", permission=NO_PERMISSION_REQUIRED
    )
    config.add_view(forgot, context=KeyError, renderer="json")  # exception view: exempt
    config.add_static_view("static", "thebot:static")
    config.commit()
    problems = offenders(config.registry, known_permissions())
    assert len(problems) == 1 and problems[0].startswith("no permission: forgot")


def test_the_walk_catches_an_unknown_permission_name():
    config = Configurator()
    config.add_route("typo", "/typo/")
    config.add_view(lambda r: {}, route_name="typo", renderer="json", permission="acounts.view")
    config.commit()
    assert offenders(config.registry, known_permissions())[0].startswith("unknown permission")
