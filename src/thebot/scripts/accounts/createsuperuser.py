"""``thebot-createsuperuser production.ini``: create an administrator account.

Interactive by default (prompts, password typed twice without echo). For automation:
``--email admin@example.com [--username admin]`` with the password in the environment
variable ``THEBOT_SUPERUSER_PASSWORD`` (never on the command line, where ``ps`` shows it).
"""

from __future__ import annotations

import getpass
import os
import re
import sys
from typing import Any

from thebot.accounts.auth.service import create_superuser
from thebot.accounts.credentials.passwords import validate_password
from thebot.audit import audit
from thebot.scripts.common import fail, parser
from thebot.scripts.console import open_app

PASSWORD_ENV = "THEBOT_SUPERUSER_PASSWORD"  # noqa: S105 - the variable's name


def default_username(email: str) -> str:
    local = email.split("@", 1)[0].lower()
    return re.sub(r"[^a-z0-9._-]+", "", local) or "admin"


def ask(prompt: str) -> str:
    return input(prompt).strip()


def ask_password(settings: dict[str, Any], attrs: dict[str, str]) -> str:
    """Prompt until the password is typed twice alike and follows the password rules."""
    while True:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            print("The passwords differ; try again.", file=sys.stderr)
            continue
        problems = validate_password(password, attrs, min_length=settings["password_min_length"])
        if not problems:
            return password
        print("\n".join(problems), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    p = parser("Create an administrator account.")
    p.add_argument("--email", help=f"non-interactive: the password comes from {PASSWORD_ENV}")
    p.add_argument("--username", help="default: the part of the email before the @")
    p.add_argument("--first-name", default="")
    p.add_argument("--last-name", default="")
    args = p.parse_args(argv)
    if args.email:
        password = os.environ.get(PASSWORD_ENV, "")
        if not password:
            return fail(f"--email needs the password in the environment variable {PASSWORD_ENV}.")
    elif not sys.stdin.isatty():
        return fail(f"No terminal to ask on: pass --email and set {PASSWORD_ENV}.")

    with open_app(args) as env:
        request = env["request"]
        settings = env["registry"].settings
        email = args.email or ask("Email: ")
        username = args.username or default_username(email)
        if not args.email:
            username = ask(f"Username [{username}]: ") or username
            attrs = {
                "email": email,
                "username": username,
                "first_name": args.first_name,
                "last_name": args.last_name,
            }
            password = ask_password(settings, attrs)
        try:
            with request.tm:
                user = create_superuser(
                    request.dbsession,
                    settings,
                    email=email,
                    username=username,
                    password=password,
                    first_name=args.first_name,
                    last_name=args.last_name,
                )
                audit(
                    request,
                    "account.created",
                    target_type="user",
                    target_id=user.id,
                    role=user.role,
                    via="createsuperuser",
                )
                username, email = user.username, user.email
        except ValueError as exc:
            return fail(f"No account was created:\n{exc}", 1)
    print(f"Administrator {username} <{email}> created.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
