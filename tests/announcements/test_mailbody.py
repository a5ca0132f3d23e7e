"""An announcement's text in an email: absolute links, no images, and a plain-text twin."""

import pytest

from community import markup
from community.announcements.mailbody import mail_html, mail_text


@pytest.fixture
def site(app):
    return app.config["SITE_URL"]


def test_links_become_absolute_and_images_their_words(site):
    html = mail_html(
        markup.render(
            "[Plan](/resources?x=1&y=2) ![A map](/media/m.png) [out](https://example.org)"
        )
    )
    assert f'href="{site}/resources?x=1&amp;y=2"' in html
    assert 'href="https://example.org"' in html
    assert "<img" not in html
    assert "[A map]" in html


def test_the_plain_text_keeps_paragraphs_lists_code_and_link_addresses(site):
    source = "One *two*.\n\nNext [link](/events).\n\n- a\n- b\n  1. c\n\n```\n  kept  as is\n```"
    text = mail_text(markup.render(source))
    assert text == (f"One two.\n\nNext link <{site}/events>.\n\n- a\n- b\n  1. c\n\n  kept  as is")


def test_characters_are_decoded_in_the_text():
    assert mail_text(markup.render("Fish & chips <3")) == "Fish & chips <3"
