"""The site page form (new and edit); the rules come from rules.py."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField

from ..forms import rule
from . import rules


def _slug_or_empty(value: str) -> None:
    if rules.normalise_slug(value):
        rules.check_slug(value)


class PageForm(FlaskForm):
    title = StringField("Title", validators=[rule(rules.check_title)])
    slug = StringField("Address", validators=[rule(rules.check_slug)])
    body = TextAreaField("Text", validators=[rule(rules.check_page_body)])
    in_footer = BooleanField("Show in the footer of every page", default=True)
    position = StringField("Position in the footer", default="0",
                           validators=[rule(rules.check_position)])  # fmt: skip
    # The revision the admin started from: a save made meanwhile is not silently replaced.
    based_on = HiddenField()
    preview = SubmitField("Preview")
    submit = SubmitField("Save the page")

    def based_on_revision(self) -> int | None:
        value = (self.based_on.data or "").strip()
        return int(value) if value.isdigit() and len(value) < 10 else None


class NewPageForm(PageForm):
    # Left empty, the address is made from the title.
    slug = StringField("Address (optional)", validators=[rule(_slug_or_empty)])
