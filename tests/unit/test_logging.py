from __future__ import annotations

import pytest

from core.logging import redact_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/cases/0b7f6c1e-4d1a-4f7e-9a52-2f7c3f1d9e10",
            "/cases/0b7f6c1e-4d1a-4f7e-9a52-2f7c3f1d9e10",
        ),
        ("/search?q=Jane+Doe", "/search"),
        (
            "/portal/riverbend/invite/AbCdEfGhIjKlMnOpQrStUvWxYz012345",
            "/portal/riverbend/invite/[redacted]",
        ),
        ("/feeds/ical/tok_3f9a8b7c6d5e4f3a2b1c0d9e8f.ics", "/feeds/ical/[redacted]"),
        ("/health#frag", "/health"),
    ],
)
def test_paths_keep_ids_and_lose_queries_and_tokens(path: str, expected: str) -> None:
    assert redact_path(path) == expected
