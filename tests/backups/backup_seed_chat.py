"""Chat rows for the backup round trip: rooms (direct and group), members, messages with a
reply (a self-reference), an edit, a deletion and a pin."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from thebot.chat.models import ChatMember, ChatMessage, ChatRoom

T0 = dt.datetime(2026, 3, 2, 10, 30, 15, 123456, tzinfo=dt.timezone.utc)


def seed_chat(session: Session, *, teacher, student, parent) -> None:
    low, high = sorted((teacher.id, student.id))
    direct = ChatRoom(type="direct", direct_low_id=low, direct_high_id=high, created_at=T0)
    group = ChatRoom(
        type="group", name="Физика «9Б»", created_by_id=teacher.id, locked=True, created_at=T0
    )
    session.add_all([direct, group])
    session.flush()
    session.add_all(
        [
            ChatMember(room_id=direct.id, user_id=teacher.id, last_read_message_id=None),
            ChatMember(room_id=direct.id, user_id=student.id),
            ChatMember(room_id=group.id, user_id=teacher.id, role="moderator"),
            ChatMember(room_id=group.id, user_id=parent.id, read_only=True, muted=True),
        ]
    )
    question = ChatMessage(room_id=direct.id, author_id=student.id, text="Вопрос?\n🙂")
    session.add(question)
    session.flush()
    session.add_all(
        [
            ChatMessage(
                room_id=direct.id,
                author_id=teacher.id,
                text="Answer",
                reply_to_id=question.id,
                edited_at=T0,
                pinned_at=T0,
                pinned_by_id=teacher.id,
            ),
            ChatMessage(room_id=group.id, author_id=teacher.id, text="", deleted_at=T0),
        ]
    )
    session.flush()
