"""Password rules, hashing and generation."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from thebot.accounts.credentials.passwords import (
    common_passwords,
    generate_password,
    hash_password,
    needs_rehash,
    validate_password,
    verify_password,
)

USER = {
    "username": "marina",
    "email": "m.petrova@school.example",
    "first_name": "Marina",
    "last_name": "Petrova",
}


def test_a_good_password_breaks_no_rule():
    assert validate_password("lantern-orbit-73-quill", USER) == []


def test_minimum_length_defaults_to_8_and_is_configurable():
    assert validate_password("qz7#Lp2", USER) == [
        "This password is too short. It must contain at least 8 characters."
    ]
    assert validate_password("qz7#Lp2x", USER) == []
    assert "at least 12 characters" in validate_password("qz7#Lp2x", USER, min_length=12)[0]


def test_entirely_numeric_passwords_are_refused():
    assert "This password is entirely numeric." in validate_password("90210873461", USER)


@pytest.mark.parametrize(
    "password", ["password", "Password1", "qwerty123", "iloveyou", " 123456789 "]
)
def test_common_passwords_are_refused(password):
    assert "This password is too common." in validate_password(password, USER)


def test_the_common_list_is_large():
    assert len(common_passwords()) >= 10_000


@pytest.mark.parametrize(
    ("password", "label"),
    [
        ("marina2024", "username"),
        ("m.petrova@school", "email address"),
        ("Petrova!!", "email address"),  # the email's parts count: "petrova"
        ("Ostrovskaya1", "last name"),
        ("Zhenechka!", "first name"),
    ],
)
def test_passwords_resembling_the_user_are_refused(password, label):
    user = {**USER, "first_name": "Zhenechka", "last_name": "Ostrovskaya"}
    assert validate_password(password, user) == [f"This password is too similar to the {label}."]


def test_similarity_reads_objects_too():
    user = SimpleNamespace(username="grigory", email=None, first_name="", last_name="")
    assert validate_password("grigory1!", user) == [
        "This password is too similar to the username."
    ]


def test_several_violations_are_all_listed():
    violations = validate_password("1234", USER)
    assert len(violations) == 3  # short, numeric, common


def test_very_long_passwords_are_refused_without_other_work():
    assert validate_password("x" * 5000, USER) == [
        "This password is too long. It may have at most 1024 characters."
    ]


def test_hash_and_verify():
    hashed = hash_password("lantern-orbit-73-quill")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "lantern-orbit-73-quill")
    assert not verify_password(hashed, "lantern-orbit-73-quilt")
    assert not verify_password(None, "anything")
    assert not verify_password("not a hash", "anything")
    assert not needs_rehash(hashed)


def test_generated_passwords_pass_the_rules():
    for _ in range(20):
        password = generate_password()
        assert len(password) == 16 and validate_password(password, USER) == []
