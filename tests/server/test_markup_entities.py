"""Mentions and hashtags in local text: found and linked as Mastodon's text_formatter.rb
links them, never inside links or code, escaped, and sanitized like the rest."""

from __future__ import annotations

from server.markup_entities import Linker, MentionLink, find_mentions, render_with_entities


def _linker() -> Linker:
    def mention(username: str, domain: str | None) -> MentionLink | None:
        if username == "ghost":
            return None
        return MentionLink(f"https://{domain or 'here.test'}/@{username}", username)

    return Linker(mention=mention, tag_url=lambda tag: f"https://here.test/tags/{tag}")


def test_mentions_and_hashtags_are_linked_as_mastodon_links_them() -> None:
    linker = _linker()
    html = render_with_entities("Hi @bob@m.example and @amy! #Picnic", linker)
    assert html.strip() == (
        '<p>Hi <span class="h-card"><a href="https://m.example/@bob" class="u-url mention">'
        '@<span>bob</span></a></span> and <span class="h-card"><a href="https://here.test/@amy"'
        ' class="u-url mention">@<span>amy</span></a></span>! <a href="https://here.test/tags/'
        'picnic" class="mention hashtag" rel="tag">#<span>Picnic</span></a></p>'
    )
    assert linker.mentioned == [("bob", "m.example"), ("amy", None)]
    assert linker.tags == ["Picnic"]


def test_what_is_not_a_mention_or_hashtag_stays_text() -> None:
    linker = _linker()
    text = "mail a@b.example, see [#x @bob](https://l.example/#y) `#code @bob` #2024 @ghost x#y"
    html = render_with_entities(text, linker)
    assert "mention" not in html
    assert (linker.mentioned, linker.tags) == ([], [])
    assert 'rel="nofollow noopener noreferrer ugc"' in html  # ordinary links keep their rel
    assert "#2024 @ghost x#y" in html


def test_entities_are_escaped_and_the_html_sanitized() -> None:
    def mention(username: str, domain: str | None) -> MentionLink:
        return MentionLink('https://m.example/"><script>', "<b>bob</b>")

    linker = Linker(mention=mention, tag_url=lambda tag: f"https://here.test/tags/{tag}")
    html = render_with_entities("@bob@m.example <script>alert(1)</script>", linker)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;b&gt;bob&lt;/b&gt;" in html


def test_find_mentions_keeps_the_first_of_each() -> None:
    found = find_mentions("@a@x.example @b @a@x.example @B, me@mail.example")
    assert found == [("a", "x.example"), ("b", None), ("B", None)]
