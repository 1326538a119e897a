"""Passkeys for portal accounts (PORT-2, PORT-3, decisions.md "Portal access"), with the
`webauthn` package.

Decisions (the spec says only "optional passkeys, enrolled after a full-link sign-in"):
- **Who may add one:** a client signed in by an invitation or an emailed sign-in link
  (`portal_sessions.signed_in_with = 'link'`). A session started by a passkey lists and
  removes passkeys but cannot add another one (re-authentication before changing a
  credential, ASVS 7.5.1): a borrowed, unlocked phone does not become a second key.
  A link session may add one for its whole life (15 minutes idle, 12 hours at most): no
  shorter freshness window, since a client often adds a passkey after finishing forms.
- **What kind:** discoverable credentials with user verification required (a PIN,
  fingerprint or face on the device). The passkey then stands in for the emailed link on
  its own, so the portal signs in without typing an address. The user handle is the
  account's random id: no email or name goes to the authenticator as an identifier
  (the email is only the label the device shows), and the relying party's name is the
  portal's host, not the practice's name, which would tell a password manager's reader
  where someone is in therapy. Every practice shares the host, so a device's picker may
  list a passkey of the same address at another practice; choosing it is refused.
- **Challenges** live in Postgres, one per ceremony, 5 minutes, single use: the verify
  step consumes the row before anything else, so a captured answer cannot be replayed,
  and a refused attempt still uses it up. Adding binds the challenge to the account and
  the session that asked. The sign-in options are asked for anonymously: 60 in 15
  minutes per address (services/auth/throttle.py), and at most
  `LIVE_SIGN_IN_CHALLENGES` live in a practice as a safety cap.
- **The signature counter** must grow when an authenticator reports one (py_webauthn
  refuses a count that did not): a cloned key is refused. Synced passkeys report 0.
- **Relying party:** the host of APP_BASE_URL and its origin. Browsers refuse an IP
  address as a relying party id, so on `http://127.0.0.1:…` passkeys are simply not
  offered; `APP_BASE_URL=http://localhost:8000` turns them on locally.
- At most `MAX_PASSKEYS` live passkeys per account. A removed passkey keeps its row
  (the audit trail), signs nobody in, and ends the sessions it started. Adding or
  removing one emails the account a notice without any health information, so an
  unexpected change is noticed.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    decode_credential_public_key,
    decoded_public_key_to_cryptography,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from core.db import UnitOfWork
from core.errors import DomainError, InvalidInput, NotFound, TooManyAttempts
from models.orm.portal import PortalAccount, PortalPasskey, PortalSession, WebauthnChallenge

log = logging.getLogger(__name__)

CHALLENGE_TTL = timedelta(minutes=5)
MAX_PASSKEYS = 10
LIVE_SIGN_IN_CHALLENGES = 20_000  # a safety cap; per address: services/auth/throttle.py
NAME_MAX = 60
DEFAULT_NAME = "Passkey"
CREDENTIAL_MAX = 16_000  # characters of the browser's JSON answer
REGISTER, AUTHENTICATE = "register", "authenticate"


class PasskeyRefused(DomainError):
    """A ceremony that did not verify: shown beside the passkey button."""

    status = 422
    code = "passkey_refused"
    title = "The passkey was not accepted"


@dataclass(frozen=True)
class RelyingParty:
    id: str  # the host name the browser checks credentials against
    origin: str  # scheme://host[:port], as the browser reports it

    @classmethod
    def of(cls, base_url: str) -> RelyingParty | None:
        """The relying party of the portal's public address; None where browsers allow no
        passkeys (an IP address, or something that is not a web address)."""
        parts = urlsplit(base_url)
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host:
            return None
        try:
            ipaddress.ip_address(host)
        except ValueError:
            try:
                port = parts.port
            except ValueError:
                return None
            default = {"http": 80, "https": 443}[parts.scheme]
            shown = f":{port}" if port is not None and port != default else ""
            return cls(id=host, origin=f"{parts.scheme}://{host}{shown}")
        return None


@dataclass(frozen=True)
class Ceremony:
    """What the browser needs to start: the challenge row's id and the options JSON."""

    challenge_id: uuid.UUID
    options_json: str

    def as_dict(self) -> dict[str, Any]:
        return {"challenge_id": str(self.challenge_id), "publicKey": json.loads(self.options_json)}


async def live_for(uow: UnitOfWork, account_id: uuid.UUID) -> list[PortalPasskey]:
    rows = await uow.session.scalars(
        select(PortalPasskey)
        .where(
            PortalPasskey.practice_id == uow.practice_id,
            PortalPasskey.account_id == account_id,
            PortalPasskey.removed_at.is_(None),
        )
        .order_by(PortalPasskey.created_at, PortalPasskey.id)
    )
    return list(rows)


def may_add(session: PortalSession) -> bool:
    return session.signed_in_with == "link"


async def _room_for_one_more(uow: UnitOfWork, account_id: uuid.UUID) -> list[PortalPasskey]:
    """The account's live passkeys, refused when it already holds the most it may."""
    existing = await live_for(uow, account_id)
    if len(existing) >= MAX_PASSKEYS:
        raise PasskeyRefused(
            f"You have {MAX_PASSKEYS} passkeys, the most an account may hold. "
            "Remove one you no longer use first."
        )
    return existing


async def _new_challenge(
    uow: UnitOfWork,
    purpose: str,
    challenge: bytes,
    now: datetime,
    *,
    account_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
) -> uuid.UUID:
    assert uow.practice_id is not None
    # Expired challenges of the practice go first (indexed on practice, expiry).
    await uow.session.execute(
        delete(WebauthnChallenge).where(
            WebauthnChallenge.practice_id == uow.practice_id,
            WebauthnChallenge.expires_at < now,
        )
    )
    row = WebauthnChallenge(
        id=uuid.uuid4(),
        practice_id=uow.practice_id,
        purpose=purpose,
        challenge=challenge,
        account_id=account_id,
        session_id=session_id,
        created_at=now,
        expires_at=now + CHALLENGE_TTL,
    )
    uow.session.add(row)
    await uow.session.flush()
    return row.id


async def _consume(
    uow: UnitOfWork, challenge_id: str, purpose: str, now: datetime
) -> WebauthnChallenge:
    """The live challenge, marked used before it is checked against anything."""
    try:
        key = uuid.UUID(challenge_id[:60])
    except ValueError:
        raise PasskeyRefused("That passkey attempt is not valid. Try again.") from None
    row: WebauthnChallenge | None = await uow.session.scalar(
        select(WebauthnChallenge)
        .where(
            WebauthnChallenge.practice_id == uow.practice_id,
            WebauthnChallenge.id == key,
            WebauthnChallenge.purpose == purpose,
        )
        .with_for_update()
    )
    if row is None or row.used_at is not None:
        raise PasskeyRefused("That passkey attempt is not valid. Try again.")
    row.used_at = now
    await uow.session.flush()
    if now >= row.expires_at:
        raise PasskeyRefused("That passkey attempt took too long. Try again.")
    return row


def _credential_text(credential: str) -> str:
    if not credential.strip():
        raise PasskeyRefused("No passkey answer arrived. Try again.")
    if len(credential) > CREDENTIAL_MAX:
        raise PasskeyRefused("That passkey answer is not valid. Try again.")
    return credential


# --- adding a passkey (signed in) ------------------------------------------------------------


async def registration_options(
    uow: UnitOfWork,
    rp: RelyingParty,
    *,
    account: PortalAccount,
    session: PortalSession,
    name: str,
    now: datetime,
) -> Ceremony:
    """Options to create a passkey. The name is checked here, before the device makes a
    credential the server would then refuse to store."""
    clean_name(name)
    if not may_add(session):
        raise PasskeyRefused(
            "To add a passkey, sign in with an emailed link first (it proves this is "
            "your email address)."
        )
    existing = await _room_for_one_more(uow, account.id)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.id,  # not the practice's name: it would show in password managers
        user_id=account.id.bytes,
        user_name=account.email,
        user_display_name=account.email,
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
    )
    challenge_id = await _new_challenge(
        uow, REGISTER, options.challenge, now, account_id=account.id, session_id=session.id
    )
    return Ceremony(challenge_id, options_to_json(options))


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if len(name) > NAME_MAX:
        raise InvalidInput(
            f"Keep the name to {NAME_MAX} characters.",
            field_errors={"name": f"Keep the name to {NAME_MAX} characters."},
        )
    return name or DEFAULT_NAME


async def register(
    uow: UnitOfWork,
    rp: RelyingParty,
    *,
    account: PortalAccount,
    session: PortalSession,
    challenge_id: str,
    credential: str,
    name: str,
    now: datetime,
) -> PortalPasskey:
    """Verify the browser's new credential against the challenge this session asked for
    and store it. Every refusal is a `PasskeyRefused` (the challenge is used up)."""
    label = clean_name(name)
    row = await _consume(uow, challenge_id, REGISTER, now)
    # One registration of an account at a time: the limit check below cannot be raced.
    await uow.session.execute(
        select(PortalAccount.id)
        .where(PortalAccount.practice_id == uow.practice_id, PortalAccount.id == account.id)
        .with_for_update()
    )
    if row.account_id != account.id or row.session_id != session.id or not may_add(session):
        raise PasskeyRefused("That passkey attempt is not valid. Try again.")
    try:
        parsed = parse_registration_credential_json(_credential_text(credential))
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=row.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
        # "none" attestation never loads the key: a key that cannot verify is refused now.
        decoded_public_key_to_cryptography(
            decode_credential_public_key(verified.credential_public_key)
        )
    except Exception as exc:
        log.info("passkey registration refused: %s", type(exc).__name__)
        raise PasskeyRefused(
            "The passkey could not be verified. Try again, or use another device."
        ) from None
    taken = await uow.session.scalar(
        select(PortalPasskey.id).where(
            PortalPasskey.practice_id == uow.practice_id,
            PortalPasskey.credential_id == verified.credential_id,
        )
    )
    if taken is not None:
        raise PasskeyRefused("This passkey is already registered.")
    await _room_for_one_more(uow, account.id)
    transports = [t.value for t in parsed.response.transports or []]
    passkey = PortalPasskey(
        id=uuid.uuid4(),
        practice_id=account.practice_id,
        account_id=account.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        name=label,
        backed_up=verified.credential_backed_up,
        created_at=now,
    )
    try:
        async with uow.session.begin_nested():
            uow.session.add(passkey)
    except IntegrityError:  # the same credential registered at this instant elsewhere
        raise PasskeyRefused("This passkey is already registered.") from None
    return passkey


async def remove(
    uow: UnitOfWork, account_id: uuid.UUID, passkey_id: uuid.UUID, now: datetime
) -> PortalPasskey:
    """Remove one of the account's live passkeys and end the sessions it started (the
    client removing a lost phone's passkey signs the phone out too). Anyone else's
    passkey, or a removed one, is a 404."""
    row: PortalPasskey | None = await uow.session.scalar(
        select(PortalPasskey)
        .where(
            PortalPasskey.practice_id == uow.practice_id,
            PortalPasskey.id == passkey_id,
            PortalPasskey.account_id == account_id,
            PortalPasskey.removed_at.is_(None),
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound("Not found")
    row.removed_at = now
    await uow.session.execute(
        update(PortalSession)
        .where(
            PortalSession.practice_id == uow.practice_id,
            PortalSession.passkey_id == row.id,
            PortalSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    await uow.session.flush()
    return row


# --- signing in with one (anonymous) ---------------------------------------------------------


async def authentication_options(uow: UnitOfWork, rp: RelyingParty, now: datetime) -> Ceremony:
    live = await uow.session.scalar(
        select(func.count())
        .select_from(WebauthnChallenge)
        .where(
            WebauthnChallenge.practice_id == uow.practice_id,
            WebauthnChallenge.expires_at >= now,
            WebauthnChallenge.purpose == AUTHENTICATE,
            WebauthnChallenge.used_at.is_(None),
        )
    )
    if (live or 0) >= LIVE_SIGN_IN_CHALLENGES:
        raise TooManyAttempts("Too many passkey sign-ins right now. Try again in a few minutes.")
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    challenge_id = await _new_challenge(uow, AUTHENTICATE, options.challenge, now)
    return Ceremony(challenge_id, options_to_json(options))


@dataclass(frozen=True)
class PasskeySignIn:
    account: PortalAccount
    passkey_id: uuid.UUID


async def authenticate(
    uow: UnitOfWork, rp: RelyingParty, *, challenge_id: str, credential: str, now: datetime
) -> PasskeySignIn:
    """The account whose passkey answered this challenge, and which passkey; its counter
    and last use are updated. Every refusal is a `PasskeyRefused` with the same words for
    an unknown, a removed or a forged passkey."""
    refused = PasskeyRefused(
        "That passkey did not sign you in. Use a passkey you added to this portal, "
        "or get an emailed link."
    )
    row = await _consume(uow, challenge_id, AUTHENTICATE, now)
    try:
        parsed = parse_authentication_credential_json(_credential_text(credential))
    except Exception:
        raise refused from None
    passkey: PortalPasskey | None = await uow.session.scalar(
        select(PortalPasskey)
        .where(
            PortalPasskey.practice_id == uow.practice_id,
            PortalPasskey.credential_id == parsed.raw_id,
            PortalPasskey.removed_at.is_(None),
        )
        .with_for_update()
    )
    if passkey is None:
        raise refused
    # Usernameless sign-in: the handle names the account, and must (WebAuthn §7.2).
    handle = parsed.response.user_handle
    if handle is None or bytes(handle) != passkey.account_id.bytes:
        raise refused
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=row.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except Exception as exc:
        log.info("passkey sign-in refused: %s", type(exc).__name__)
        raise refused from None
    account = await uow.session.get(PortalAccount, passkey.account_id)
    if account is None or account.disabled_at is not None:
        raise refused
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = now
    await uow.session.flush()
    return PasskeySignIn(account, passkey.id)
