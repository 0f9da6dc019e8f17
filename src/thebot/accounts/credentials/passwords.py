"""Password hashing (argon2id via argon2-cffi), generation and the password rules."""

from __future__ import annotations

import functools
import gzip
import re
import secrets
import string
from collections.abc import Mapping
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
GENERATED_ALPHABET = string.ascii_letters + string.digits + "!#$%&*+-=?@^_"
# A valid hash of a random password: verifying against it costs the same time as a real
# check, so unknown accounts answer as slowly as known ones.
DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))

DEFAULT_MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 does not care, but the similarity check is quadratic
MAX_SIMILARITY = 0.7  # difflib ratio, as Django's UserAttributeSimilarityValidator
# user attribute -> how a violation names it
USER_ATTRIBUTES = {
    "username": "username",
    "email": "email address",
    "first_name": "first name",
    "last_name": "last name",
}
# 19,640 common passwords, lower-cased (see data/README.txt for origin and license).
COMMON_PASSWORDS_PATH = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-time-ish check; ``None`` hashes still spend the same work."""
    try:
        return HASHER.verify(password_hash or DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return HASHER.check_needs_rehash(password_hash)


def generate_password(length: int = 16) -> str:
    """A strong random password with every character class."""
    while True:
        candidate = "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per process."""
    with gzip.open(COMMON_PASSWORDS_PATH, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def _attribute(user_attrs: Any, name: str) -> Any:
    if user_attrs is None:
        return None
    if isinstance(user_attrs, Mapping):
        return user_attrs.get(name)
    return getattr(user_attrs, name, None)


def _too_similar(password: str, value: str) -> bool:
    """Whether ``password`` resembles ``value`` or one of its parts (``a.b@c`` -> a, b, c)."""
    password = password.lower()
    value = value.lower()
    for part in {*re.split(r"\W+", value), value}:
        if not part:
            continue
        # A short attribute inside a much longer password cannot reach the ratio anyway.
        if len(password) >= 10 * len(part) and len(part) < MAX_SIMILARITY / 2 * len(password):
            continue
        if SequenceMatcher(a=password, b=part).quick_ratio() >= MAX_SIMILARITY:
            return True
    return False


def validate_password(
    password: str, user_attrs: Any = None, *, min_length: int = DEFAULT_MIN_LENGTH
) -> list[str]:
    """The rules ``password`` breaks (empty when it is acceptable).

    ``user_attrs`` is a mapping or an object with ``username``, ``email``, ``first_name``
    and ``last_name`` (any may be missing); the password must not resemble them.
    """
    violations: list[str] = []
    if len(password) < min_length:
        violations.append(
            f"This password is too short. It must contain at least {min_length} characters."
        )
    if len(password) > MAX_LENGTH:
        violations.append(
            f"This password is too long. It may have at most {MAX_LENGTH} characters."
        )
        return violations
    if password.isdigit():
        violations.append("This password is entirely numeric.")
    if password.lower().strip() in common_passwords():
        violations.append("This password is too common.")
    for name, label in USER_ATTRIBUTES.items():
        value = _attribute(user_attrs, name)
        if isinstance(value, str) and value and _too_similar(password, value):
            violations.append(f"This password is too similar to the {label}.")
            break
    return violations
