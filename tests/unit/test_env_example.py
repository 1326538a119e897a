"""The documented settings, the example file and the code agree."""

from __future__ import annotations

import re

from core.settings import KNOWN_SETTINGS, PROJECT_ROOT


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert listed == KNOWN_SETTINGS


def test_readme_documents_every_setting() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    missing = [name for name in KNOWN_SETTINGS if f"| `{name}` |" not in readme]
    assert not missing, f"README configuration table misses {missing}"
