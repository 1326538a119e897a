"""A person as the JSON API and the record page read them."""

from __future__ import annotations

from models.orm.person import Person
from models.schemas.person import PersonRead
from services.people.lifecycle import list_status


def person_read(p: Person) -> PersonRead:
    return PersonRead(
        id=p.id, display_name=p.display_name, first_name=p.first_name,
        middle_name=p.middle_name, last_name=p.last_name, preferred_name=p.preferred_name,
        date_of_birth=p.date_of_birth, pronouns=p.pronouns, email=p.email,
        phone_mobile=p.phone_mobile, phone_home=p.phone_home, phone_work=p.phone_work,
        preferred_contact=p.preferred_contact, ok_to_email=p.ok_to_email,
        ok_to_text=p.ok_to_text, ok_to_voicemail=p.ok_to_voicemail,
        address_line1=p.address_line1, address_line2=p.address_line2, city=p.city,
        region=p.region, postal_code=p.postal_code, country=p.country, timezone=p.timezone,
        insurance_payer=p.insurance_payer, insurance_member_id=p.insurance_member_id,
        contact_type=p.contact_type, lifecycle=p.lifecycle, list_status=list_status(p.lifecycle),
    )  # fmt: skip


def person_in(p: Person) -> dict[str, object]:
    """The person's current values as form fields (for an edit form)."""
    return {
        name: getattr(p, name)
        for name in (
            "first_name", "middle_name", "last_name", "preferred_name", "date_of_birth",
            "pronouns", "email", "phone_mobile", "phone_home", "phone_work",
            "preferred_contact", "ok_to_email", "ok_to_text", "ok_to_voicemail",
            "address_line1", "address_line2", "city", "region", "postal_code", "country",
            "timezone", "insurance_payer", "insurance_member_id", "contact_type", "lifecycle",
        )
    }  # fmt: skip
