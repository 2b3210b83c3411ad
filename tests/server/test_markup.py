"""Markdown renders to safe HTML; HTML from anywhere (remote peers too) is sanitized."""

from __future__ import annotations

import pytest

from server.markup import html_to_text, render_markdown, sanitize_html
from tests.server.html_safety import HOSTILE_SUMMARIES, tags_of, unsafe_markup


@pytest.mark.parametrize("text", HOSTILE_SUMMARIES)
def test_markdown_never_yields_active_markup(text: str) -> None:
    assert unsafe_markup(render_markdown(text)) == []


@pytest.mark.parametrize("html", HOSTILE_SUMMARIES)
def test_sanitize_html_removes_active_markup(html: str) -> None:
    assert unsafe_markup(sanitize_html(html)) == []


def test_markdown_formatting_survives() -> None:
    html = render_markdown("We fix **things** and *stuff*, ~~never~~ [see us](https://example.org)")
    assert "<strong>things</strong>" in html
    assert "<em>stuff</em>" in html
    assert "<s>never</s>" in html or "<del>never</del>" in html
    links = [attrs for tag, attrs in tags_of(html) if tag == "a"]
    assert links == [{"href": "https://example.org", "rel": "nofollow noopener noreferrer ugc"}]


def test_raw_html_in_markdown_is_shown_as_text() -> None:
    html = render_markdown("<b>bold?</b>")
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert tags_of(html) == [("p", {})]


def test_remote_html_keeps_its_formatting_and_gets_nofollow() -> None:
    html = sanitize_html(
        '<p>Hi <a href="https://a.example/@x" class="mention" target="_blank">@x</a>'
        '<br><span class="h-card">card</span></p>'
    )
    assert tags_of(html) == [
        ("p", {}),
        (
            "a",
            {
                "href": "https://a.example/@x",
                "class": "mention",
                "rel": "nofollow noopener noreferrer ugc",
            },
        ),
        ("br", {}),
        ("span", {"class": "h-card"}),
    ]


def test_remote_html_keeps_only_the_classes_mastodon_keeps() -> None:
    html = sanitize_html(
        '<p><span class="flash flash-error">Your account is locked</span>'
        '<a href="https://a.example/tags/x" class="mention hashtag button" rel="tag">#x</a>'
        '<a href="https://a.example/p"><span class="invisible">https://</span>'
        '<span class="ellipsis">a.example/p</span><span class="card-title">x</span></a></p>'
    )
    assert [attrs.get("class") for _, attrs in tags_of(html)] == [
        None,
        None,
        "mention hashtag",
        None,
        "invisible",
        "ellipsis",
        None,
    ]
    assert "Your account is locked" in html


@pytest.mark.parametrize("scheme", ["http", "https", "mailto"])
def test_allowed_link_schemes(scheme: str) -> None:
    target = f"{scheme}://x.example/" if scheme != "mailto" else "mailto:a@x.example"
    html = sanitize_html(f'<a href="{target}">x</a>')
    assert f'href="{target}"' in html


def test_html_to_text() -> None:
    assert html_to_text("<p>Hello <b>there</b></p>\n<p>again</p>") == "Hello there again"
    assert html_to_text("<script>alert(1)</script>ok") == "ok"


@pytest.mark.parametrize("html", [h for h in HOSTILE_SUMMARIES if h.startswith("<")])
def test_the_checker_itself_flags_each_raw_attack(html: str) -> None:
    assert unsafe_markup(html) != []
