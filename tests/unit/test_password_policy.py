from __future__ import annotations

import pytest

from services.auth.passwords import HashingProfile, Passwords, policy_problem


@pytest.mark.parametrize(
    ("password", "context", "problem"),
    [
        ("short", [], "at least 12 characters"),
        ("x" * 129, [], "at most 128"),
        ("password1234", [], "common"),
        ("harbortherapy2026", ["Harbor Therapy", "harbor"], "guess"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(
    password: str, context: list[str], problem: str
) -> None:
    message = policy_problem(password, context)
    assert message is not None
    assert problem in message.lower()


@pytest.mark.parametrize(
    "password", ["window kettle harbour spruce", "Tr0ub4dor&3 plus more words"]
)
def test_good_passwords_pass_spaces_and_all(password: str) -> None:
    assert policy_problem(password, ["ana@clinic.example"]) is None


async def test_hashes_are_argon2id_and_verify() -> None:
    passwords = Passwords(HashingProfile.fast_for_tests)
    stored = await passwords.hash("window kettle harbour spruce")
    assert stored.startswith("$argon2id$")
    assert await passwords.verify(stored, "window kettle harbour spruce") == (True, None)
    assert (await passwords.verify(stored, "window kettle harbour spruced"))[0] is False
    assert (await passwords.verify(None, "anything"))[0] is False  # no account: still hashed


def test_the_standard_profile_meets_owasp() -> None:
    from argon2 import PasswordHasher

    standard = PasswordHasher()
    assert standard.memory_cost >= 19456
    assert standard.time_cost >= 2
