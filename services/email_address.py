"""Email addresses as the product accepts them."""

from __future__ import annotations

import re

from core.errors import InvalidInput

# Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is proven by
# the invitation link, not by a regular expression.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(value: str) -> str:
    email = value.strip()
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidInput("Invalid email", field_errors={"email": "Enter a valid email address."})
    return email
