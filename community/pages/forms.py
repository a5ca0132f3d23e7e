"""The site page form (new and edit); the rules come from rules.py."""

from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from ..errors import Invalid
from ..forms import Form, rule
from . import rules


def _check_slug(form, field) -> None:
    if getattr(form, "slug_optional", False) and not rules.normalise_slug(field.data):
        return  # a new page's address is made from its title
    try:
        rules.check_slug(field.data)
    except Invalid as exc:
        raise ValidationError(exc.message) from exc


class PageForm(Form):
    slug_optional = False

    title = StringField("Title", validators=[rule(rules.check_title)])
    slug = StringField("Address", validators=[_check_slug])
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
    slug_optional = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slug.label.text = "Address (optional)"
