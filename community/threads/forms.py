"""Thread and post forms; the rules come from rules.py."""

import secrets

from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField

from ..forms import Form, rule
from ..rules import check_body, check_tags
from . import rules


class _Composer(Form):
    body = TextAreaField("Message", validators=[rule(check_body)])
    # A fresh token per rendered form: submitting the same form twice makes one post.
    client_token = HiddenField()
    preview = SubmitField("Preview")

    def fill_token(self) -> None:
        if not self.client_token.data:
            self.client_token.data = secrets.token_urlsafe(16)


class NewThreadForm(_Composer):
    title = StringField("Title", validators=[rule(rules.check_title)])
    tags = StringField("Tags (optional)", validators=[rule(check_tags)])
    submit = SubmitField("Start the thread")


class ReplyForm(_Composer):
    body = TextAreaField("Your reply", validators=[rule(check_body)])
    reply_to = HiddenField()
    submit = SubmitField("Post reply")


class EditForm(Form):
    body = TextAreaField("Message", validators=[rule(check_body)])
    # Asked only of a moderator changing someone else's post (actions.check_edit_reason).
    reason = StringField("Why are you changing this member's words?")
    preview = SubmitField("Preview")
    submit = SubmitField("Save changes")


class TagsForm(Form):
    tags = StringField("Tags", validators=[rule(check_tags)])


class MoveForm(Form):
    community = SelectField("Move to", validate_choice=False)


class RenameTagForm(Form):
    name = StringField("New name", validators=[rule(lambda v: check_tags([v]))])


class MergeTagForm(Form):
    source = SelectField("Merge this tag", coerce=int, validate_choice=False)
    target = SelectField("into", coerce=int, validate_choice=False)
