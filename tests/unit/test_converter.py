"""One converter everywhere: pydantic + AES-GCM codec with key rotation + encoded failures."""

from __future__ import annotations

import base64
import uuid

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes

from core.temporal import ENCODING, KEY_ID, EncryptionCodec, make_data_converter
from models.contracts.welcome import PracticeWelcomeInput

OLD = ("2026-01", b"o" * 32)
NEW = ("2026-11", b"n" * 32)


async def test_a_contract_round_trips_encrypted() -> None:
    converter = make_data_converter([NEW])
    value = PracticeWelcomeInput(practice_id=uuid.uuid4())
    [payload] = await converter.encode([value])
    assert payload.metadata["encoding"] == ENCODING
    assert payload.metadata[KEY_ID] == b"2026-11"
    assert str(value.practice_id).encode() not in payload.SerializeToString()
    [back] = await converter.decode([payload], [PracticeWelcomeInput])
    assert back == value
    assert converter.failure_converter_class is DefaultFailureConverterWithEncodedAttributes


async def test_keys_rotate_the_old_key_still_decrypts() -> None:
    old_converter = make_data_converter([OLD])
    rotated = make_data_converter([NEW, OLD])
    value = PracticeWelcomeInput(practice_id=uuid.uuid4())
    [sealed_with_old] = await old_converter.encode([value])
    [back] = await rotated.decode([sealed_with_old], [PracticeWelcomeInput])
    assert back == value
    [sealed_now] = await rotated.encode([value])
    assert sealed_now.metadata[KEY_ID] == b"2026-11"  # new payloads use the first key


async def test_a_payload_for_an_unknown_key_is_an_error_not_garbage() -> None:
    [sealed] = await EncryptionCodec([OLD]).encode([Payload(data=b"x")])
    with pytest.raises(ValueError, match="unknown payload key id '2026-01'"):
        await EncryptionCodec([NEW]).decode([sealed])


async def test_a_tampered_payload_is_refused() -> None:
    codec = EncryptionCodec([NEW])
    [sealed] = await codec.encode([Payload(data=b"secret")])
    sealed.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(InvalidTag):
        await codec.decode([sealed])


async def test_plain_payloads_from_before_encryption_still_decode() -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"a": 1}')
    assert await EncryptionCodec([NEW]).decode([plain]) == [plain]


def test_payload_keys_setting_feeds_the_codec() -> None:
    from core.settings import parse_payload_keys

    keys = parse_payload_keys(f"k:{base64.b64encode(b'k' * 32).decode()}")
    EncryptionCodec(keys)  # accepted as is
