"""A person's fields as the product accepts them: every problem named beside its field.

- Names: first and last required, one line, up to 100 characters each.
- Phones: parsed with `phonenumbers` (national numbers read in the practice's country,
  default US) and stored as E.164; an impossible number is refused, not stored.
- Email: one plausible address (deliverability is proven later by portal links).
- Date of birth: a real day, not in the future, not before 1900.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import phonenumbers

from core.errors import InvalidInput
from models.orm.person import ContactType, Lifecycle, PreferredContact
from models.schemas.person import PersonIn
from services.email_address import EMAIL
from services.practices import validate_timezone

NAME_MAX = 100
PHONE_FIELDS = ("phone_mobile", "phone_home", "phone_work")


def printable(value: str | None) -> str:
    """Only characters a person can type and Postgres can store (no NUL, no controls)."""
    return "".join(ch for ch in (value or "") if ch.isprintable() or ch in "\n\t")


def one_line(value: str | None, limit: int) -> str | None:
    text = " ".join((value or "").split())
    if not text:
        return None
    if len(text) > limit or not text.isprintable():
        raise ValueError(f"Use one line of up to {limit} characters.")
    return text


def e164(value: str | None, region: str = "US") -> str | None:
    raw = (value or "").strip()
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError("Enter a phone number like (503) 555-0123 or +44 20 7946 0958.") from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValueError("This is not a valid phone number. Check the digits and area code.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def pretty_phone(value: str | None) -> str:
    if not value:
        return ""
    number = phonenumbers.parse(value, None)
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


def birth_date(value: str | None, today: date) -> date | None:
    raw = (value or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValueError("Use a date like 1988-04-17.") from None
    if day > today:
        raise ValueError("A date of birth cannot be in the future.")
    if day.year < 1900:
        raise ValueError("Check the year.")
    return day


def clean_person(data: PersonIn, *, today: date, region: str = "US") -> dict[str, Any]:
    """The columns to store, or InvalidInput naming every field that is not right."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def take(name: str, fn: Any, *args: Any) -> None:
        try:
            out[name] = fn(*args)
        except ValueError as exc:
            errors[name] = str(exc)

    for name in ("first_name", "last_name"):
        take(name, one_line, getattr(data, name), NAME_MAX)
        if name not in errors and not out.get(name):
            errors[name] = "Enter the " + ("first" if name == "first_name" else "last") + " name."
    for name, limit in (
        ("middle_name", NAME_MAX), ("preferred_name", NAME_MAX), ("pronouns", 60),
        ("address_line1", 200), ("address_line2", 200), ("city", 100), ("region", 100),
        ("postal_code", 20), ("insurance_payer", 200), ("insurance_member_id", 60),
    ):  # fmt: skip
        take(name, one_line, getattr(data, name), limit)
    country = (data.country or "US").strip().upper()
    if len(country) != 2 or not country.isalpha():
        errors["country"] = "Use the two-letter country code (US, CA, GB …)."
    out["country"] = country
    phone_region = country if not errors.get("country") else region
    for name in PHONE_FIELDS:
        take(name, e164, getattr(data, name), phone_region)
    email = (data.email or "").strip()
    if email and (len(email) > 254 or not EMAIL.match(email) or not email.isprintable()):
        errors["email"] = "Enter a valid email address, like name@example.com."
    out["email"] = email or None
    take("date_of_birth", birth_date, data.date_of_birth, today)
    if data.timezone:
        try:
            validate_timezone(data.timezone)
        except InvalidInput:
            errors["timezone"] = "Choose a time zone from the list (like America/Chicago)."
    out["timezone"] = data.timezone or None
    preferred = data.preferred_contact or PreferredContact.email
    if preferred not in PreferredContact.__members__:
        errors["preferred_contact"] = "Choose email, mobile, home or work."
    elif preferred == "email" and not email and any(out.get(p) for p in PHONE_FIELDS):
        preferred = next(p.removeprefix("phone_") for p in PHONE_FIELDS if out.get(p))
    elif preferred != "email" and not errors and not out.get(f"phone_{preferred}"):
        errors["preferred_contact"] = f"Add a {preferred} number first, or choose another way."
    out["preferred_contact"] = preferred
    out["ok_to_email"], out["ok_to_text"] = data.ok_to_email, data.ok_to_text
    out["ok_to_voicemail"] = data.ok_to_voicemail
    if data.contact_type is not None:
        if data.contact_type not in ContactType.__members__:
            errors["contact_type"] = "Choose one of the contact types."
        out["contact_type"] = data.contact_type
    if data.lifecycle is not None:
        if data.lifecycle not in Lifecycle.__members__:
            errors["lifecycle"] = "Choose one of the statuses."
        out["lifecycle"] = data.lifecycle
    if errors:
        raise InvalidInput("Some details need another look", field_errors=errors)
    return out
