"""The no-JavaScript image upload form (the composer uploads with fetch instead)."""

from flask_wtf.file import FileField

from ..forms import Form

ACCEPT = "image/png,image/jpeg,image/webp"


class ImageForm(Form):
    image = FileField("Image")
