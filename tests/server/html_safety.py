"""Find markup that could run script in a page: script-capable tags, event-handler
attributes, inline styles and javascript:/data: URLs."""

from __future__ import annotations

from html.parser import HTMLParser

ACTIVE_TAGS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "svg", "math"}
)
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "srcset", "data"})
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name == "style" and tag != "link":
                self.problems.append(f"<{tag} style>")
            url = "".join((value or "").split()).lower()
            if name in URL_ATTRIBUTES and url.startswith(BAD_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def unsafe_markup(html: str) -> list[str]:
    """Every construct in ``html`` that a browser could execute or load as active content."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return finder.problems


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag in ``html`` with its attributes."""
    tags: list[tuple[str, dict[str, str | None]]] = []

    class _Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append((tag, dict(attrs)))

    parser = _Tags()
    parser.feed(html)
    parser.close()
    return tags


#: Summaries that try every trick; none may survive as active markup.
HOSTILE_SUMMARIES = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml,<svg onload=alert(1)>)",
    "<svg><script>alert(1)</script></svg>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<object data="javascript:alert(1)"></object>',
    "<<script>script>alert(1)<</script>/script>",
    '<a href="&#106;avascript:alert(1)">entity</a>',
]
