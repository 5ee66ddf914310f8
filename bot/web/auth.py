"""Staff accounts: argon2 password hashes (argon2-cffi), roles staff / trainer / privacy / admin."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine

from bot.store import sessions, users
from bot.timeutil import utcnow

_hasher = PasswordHasher()
# privacy: the city's data-protection coordinator; erases data on request (Art. 17 GDPR),
# sees no case and no transcript (docs/SECURITY.md, "Erasure").
ROLES = ("staff", "trainer", "privacy", "admin")
ERASE_ROLES = ("privacy", "admin")
TRAINER_ROLES = ("trainer", "admin")  # they see the trainers' backlog


@dataclass(frozen=True)
class User:
    """A logged-in member of staff."""

    username: str
    role: str
    office: str | None

    @property
    def is_trainer(self) -> bool:
        """Trainers (and admins) see the trainers' backlog."""
        return self.role in TRAINER_ROLES

    @property
    def may_erase(self) -> bool:
        """Erasure on request: the privacy role and admins only."""
        return self.role in ERASE_ROLES


def upsert_user(
    engine: Engine, username: str, password: str, role: str = "staff", office: str | None = None
) -> None:
    """Creates the account or sets its password, role and office."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    values = {"password_hash": _hasher.hash(password), "role": role, "office": office}
    with engine.begin() as conn:
        updated = conn.execute(
            sa.update(users).where(users.c.username == username).values(**values)
        ).rowcount
        if not updated:
            conn.execute(sa.insert(users).values(username=username, created_at=utcnow(), **values))
        # a new password (or role, or office) ends every open session of the account
        conn.execute(sa.delete(sessions).where(sessions.c.username == username))


def verify_user(engine: Engine, username: str, password: str) -> User | None:
    """The user when the password is right, else None (constant work for unknown names)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    stored = row.password_hash if row else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(stored):
        upsert_user(engine, username, password, row.role, row.office)
    return User(row.username, row.role, row.office)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-only-for-equal-timing")
