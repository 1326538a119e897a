"""Client-facing Markdown, rendered inert (DOCED-5).

CommonMark with tables, and nothing that can run: raw HTML is shown as text, not parsed
(`html=False`), links and images only with http(s), mailto or tel targets (markdown-it's
link check, tightened: no data: images either), and every link opens without the opener
and without sending the referrer. The same renderer serves staff previews and the
portal, so what the editor shows is what the client sees.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markupsafe import Markup

SAFE_LINK = re.compile(r"^(https?:|mailto:|tel:|#|/(?!/))", re.IGNORECASE)


def _validate(url: str) -> bool:
    return bool(SAFE_LINK.match(url.strip()))


def _link_open(self: RendererHTML, tokens: Any, idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    token.attrSet("rel", "noopener noreferrer nofollow")
    return str(self.renderToken(tokens, idx, options, env))


_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable("table").enable("strikethrough")
_md.validateLink = _validate  # type: ignore[method-assign]
_md.add_render_rule("link_open", _link_open)


def render(text: str) -> Markup:
    """HTML safe to place in a page as is."""
    return Markup(_md.render(text or ""))
