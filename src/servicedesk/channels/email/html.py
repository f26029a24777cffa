"""Customer HTML: made safe to show, and turned into plain text for the case. Pure."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

__all__ = ["html_to_text", "sanitize_html"]


_SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
    "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "li", "ol", "p", "pre", "q", "s",
    "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
}  # fmt: skip
_SAFE_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "p": {"align"},
    "div": {"align"},
}


def sanitize_html(html: str) -> str:
    """Customer HTML made safe to show: an allow-list of formatting tags, no scripts, styles,
    event handlers, images (tracking pixels) or non-http(s)/mailto links."""
    return nh3.clean(
        html,
        tags=_SAFE_TAGS,
        clean_content_tags={"script", "style", "title", "head", "template"},
        attributes=_SAFE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
    )


class _TextExtractor(HTMLParser):
    # Paragraph-like elements are set off by a blank line, line-like ones (Gmail writes one <div>
    # per line) by a line break; <br> always breaks, so <br><br> gives a blank line.
    _PARAGRAPH = frozenset({
        "address", "article", "aside", "blockquote", "dl", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "ol", "p", "pre", "section", "table", "ul",
    })  # fmt: skip
    _LINE = frozenset({"caption", "dd", "div", "dt", "li", "tbody", "tfoot", "thead", "tr"})
    _SKIP = frozenset({"script", "style", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._pre = 0

    def _breaks(self, wanted: int) -> None:
        tail = "".join(self.parts[-8:]).rstrip(" ")
        have = len(tail) - len(tail.rstrip("\n"))
        if tail and have < wanted:
            self.parts.append("\n" * (wanted - have))

    def _block(self, tag: str) -> None:
        if tag in self._PARAGRAPH:
            self._breaks(2)
        elif tag in self._LINE:
            self._breaks(1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        else:
            self._block(tag)
            self._pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag != "br":
            self._block(tag)
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text from HTML: tags dropped, script/style content dropped, entities decoded, one
    line break per block element or <br>, runs of blank lines collapsed to one."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.replace("\xa0", " ").strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
