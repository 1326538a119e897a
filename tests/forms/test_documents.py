"""Client-facing documents: Markdown renders inert whatever is typed into it (no raw HTML,
no script, no javascript: or data: links), and the signed content's hash changes with
every change of the document (its text, what it requires, its PDF)."""

from __future__ import annotations

import hashlib

import pytest

from services.documents.markdown import render
from services.library import content_hash

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "<iframe src=https://evil.example></iframe>",
    "<svg/onload=alert(1)>",
    "[x](//evil.example/steal)",
    '<div style="background:url(javascript:alert(1))">x</div>',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_with_html_and_script_renders_inert(payload: str) -> None:
    html = str(render(f"Before\n\n{payload}\n\nAfter"))
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<iframe" not in lowered
    assert "<svg" not in lowered and "<div" not in lowered
    assert 'href="javascript' not in lowered and 'href="vbscript' not in lowered
    assert 'href="data:' not in lowered and 'src="data:' not in lowered
    assert 'href="//' not in lowered
    assert "<p>Before</p>" in html and "<p>After</p>" in html


def test_ordinary_markdown_still_reads_well() -> None:
    html = str(
        render(
            "# Policies\n\n**Fees** are due at the session. See [the portal](https://x.example/portal) or [call](tel:+13125550100).\n\n| a | b |\n|---|---|\n| 1 | 2 |"
        )
    )
    assert "<h1>Policies</h1>" in html and "<strong>Fees</strong>" in html
    assert '<a href="https://x.example/portal" rel="noopener noreferrer nofollow">' in html
    assert '<a href="tel:+13125550100"' in html and "<table>" in html


def test_the_signed_hash_changes_with_the_document() -> None:
    base = content_hash("document", None, "# Consent\n\nI agree.", "signature", None)
    assert base == content_hash("document", None, "# Consent\n\nI agree.", "signature", None)
    pdf = hashlib.sha256(b"%PDF-1.7 one").digest()
    other_pdf = hashlib.sha256(b"%PDF-1.7 two").digest()
    variants = {
        content_hash("document", None, "# Consent\n\nI agree!", "signature", None),
        content_hash("document", None, "# Consent\n\nI agree.", "acknowledgement", None),
        content_hash("document", None, "# Consent\n\nI agree.", "signature", pdf),
        content_hash("document", None, "# Consent\n\nI agree.", "signature", other_pdf),
    }
    assert base not in variants and len(variants) == 4
    form = {"key": "f", "title": "F", "sections": []}
    assert content_hash("form", form, "", "none", None) == content_hash(
        "form", dict(reversed(list(form.items()))), "", "none", None
    )  # key order does not matter; content does
    assert content_hash("form", form, "", "none", None) != content_hash(
        "form", {**form, "title": "G"}, "", "none", None
    )
