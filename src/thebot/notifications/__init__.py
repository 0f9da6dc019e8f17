"""Notifications: in-app notifications, delivery preferences, email delivery.

A feature that notifies people includes this package first, then adds its categories:
``config.include("thebot.notifications")`` and
``config.add_notification_category(name, description, email=...)`` (Pyramid includes a
package once, whoever asks first).
"""

from typing import Any


def includeme(config: Any) -> None:
    from thebot.notifications.service import add_notification_category

    config.add_directive("add_notification_category", add_notification_category)
    config.add_notification_category("system", "Announcements about the service", email=False)
    config.scan("thebot.notifications")
