"""``thebot-create-demo-data development.ini``: one demo account per role, with links.

Idempotent: a second run creates nothing and says so. Passwords are random and printed only
when the account is created. Refuses a configuration with ``DEBUG`` off (a production
database) unless ``--force``.
"""

from __future__ import annotations

import sys

from thebot.accounts.events import student_relations_changed
from thebot.accounts.users.demo import banner, create_demo_accounts, credentials_table, summary
from thebot.audit import audit
from thebot.scripts.common import fail, parser
from thebot.scripts.console import open_app


def main(argv: list[str] | None = None) -> int:
    p = parser("Create demo accounts (admin, teacher, tutor, student, parent) and print them.")
    p.add_argument(
        "--force",
        action="store_true",
        help="create them even with DEBUG off (a production database): not recommended",
    )
    args = p.parse_args(argv)
    with open_app(args) as env:
        if not env["registry"].settings["debug"]:
            if not args.force:
                return fail(
                    "Refusing to create demo accounts: DEBUG is off in this configuration "
                    "(a production database?); pass --force to create them anyway."
                )
            print(
                "WARNING: DEBUG is off: creating demo accounts with known roles and printed "
                "passwords on what may be a production database (--force).",
                file=sys.stderr,
            )
        request = env["request"]
        with request.tm:
            result = create_demo_accounts(request.dbsession)
            if result.linked_student_id is not None:  # cached dashboards that show them
                student_relations_changed(request.dbsession, result.linked_student_id)
            if result.created or result.links_created:
                audit(request, "account.demo_created", **summary(result))
            lines = credentials_table(result)
    if result.created:
        print(banner("THE_BOT demo accounts (passwords are shown this once)", lines))
    else:
        print("Demo accounts exist already; nothing was created.")
        print("\n".join(lines))
        if result.links_created:
            print(f"Restored {result.links_created} missing demo link(s).")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
