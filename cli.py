"""Operator commands. `python cli.py --help`

    python cli.py create-practice --name "Harbor Therapy" --link-name harbor \\
        --timezone America/New_York --owner-email ana@harbor.example --owner-name "Dr. Ana Silva"

creates the practice and invites its owner: the invitation (valid 7 days) goes to the
mail outbox — delivered by SMTP when SMTP_URL is set — and its link is printed once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from core.clock import SystemClock
from core.db import make_engine, make_sessionmaker, open_unit
from core.errors import DomainError
from core.settings import get_settings
from models.orm.identity import LinkPurpose
from models.orm.staff import StaffRole
from services.auth.links import link_url
from services.practices import PracticeCreate, create_practice
from services.staff import invite_staff


async def create_practice_cmd(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.DATABASE_URL, pool_size=1)
    uow = await open_unit(make_sessionmaker(engine))
    try:
        practice = await create_practice(
            uow, PracticeCreate(name=args.name, link_name=args.link_name, timezone=args.timezone)
        )
        owner, token = await invite_staff(
            uow,
            practice,
            email=args.owner_email,
            display_name=args.owner_name,
            role=StaffRole.owner,
            supervisor_id=None,
            invited_by=None,
            now=SystemClock().now(),
            base_url=settings.APP_BASE_URL,
        )
        await uow.commit()
    except DomainError as exc:
        problems = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
        print(f"Not created: {exc.message}" + (f" ({problems})" if problems else ""))
        return 2
    finally:
        await uow.close()
        await engine.dispose()
    print(f"Practice {practice.name} (/{practice.link_name}) created.")
    print(f"Invitation for {owner.email} queued; it works once, for 7 days:")
    print(f"  {link_url(settings.APP_BASE_URL, LinkPurpose.invitation, token)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cli.py", description="PracticeRunner operator commands")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-practice", help="create a practice and invite its owner")
    create.add_argument("--name", required=True)
    create.add_argument("--link-name", required=True, help="URL slug, e.g. harbor")
    create.add_argument("--timezone", required=True, help="IANA zone, e.g. America/New_York")
    create.add_argument("--owner-email", required=True)
    create.add_argument("--owner-name", required=True)
    args = parser.parse_args(argv)
    return asyncio.run(create_practice_cmd(args))


if __name__ == "__main__":
    sys.exit(main())
