"""Usernames derived from people's names: transliterated to ASCII, made unique with a suffix.

A small table covers Cyrillic (Russian, Ukrainian, Belarusian) and the Latin letters that do
not decompose; Unicode decomposition strips the remaining accents (é -> e). Anything else is
dropped, and an empty result falls back to the caller's fallback (e.g. the email's local part).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from thebot.accounts.models import User

MAX_BASE_LENGTH = 30
_NON_SLUG = re.compile(r"[^a-z0-9]+")

_TABLE = {
    # Russian (BGN/PCGN-like, as passports and most people write it)
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Ukrainian and Belarusian extras
    "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ў": "u",
    # Latin letters without a decomposition
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
    "ı": "i",
}  # fmt: skip


def transliterate(text: str) -> str:
    """ASCII approximation of ``text`` (lower-cased)."""
    mapped = "".join(_TABLE.get(ch, ch) for ch in text.lower())
    decomposed = unicodedata.normalize("NFKD", mapped)
    return "".join(ch for ch in decomposed if ch.isascii() and not unicodedata.combining(ch))


def username_base(*parts: str, fallback: str = "user") -> str:
    """``("Иван", "Петров")`` -> ``ivan.petrov``; empty parts are skipped."""
    slugs = [_NON_SLUG.sub(".", transliterate(p)).strip(".") for p in parts if p]
    base = ".".join(s for s in slugs if s)[:MAX_BASE_LENGTH].strip(".")
    if len(base) < 3:
        fallback_slug = _NON_SLUG.sub(".", transliterate(fallback)).strip(".")
        base = (fallback_slug or "user")[:MAX_BASE_LENGTH].strip(".")
    return base if len(base) >= 3 else f"{base or 'user'}.user"[:MAX_BASE_LENGTH]


def unique_username(dbsession: Session, *parts: str, fallback: str = "user") -> str:
    """A username not yet taken: the base, else the base with the lowest free suffix 2, 3..."""
    base = username_base(*parts, fallback=fallback)
    # The base holds only [a-z0-9.], so it is safe inside LIKE.
    taken = set(
        dbsession.scalars(
            select(User.username).where(or_(User.username == base, User.username.like(f"{base}%")))
        )
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}{suffix}" in taken:
        suffix += 1
    return f"{base}{suffix}"
