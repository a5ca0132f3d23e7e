"""The no-JavaScript image upload form (the composer uploads with fetch instead)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField

ACCEPT = "image/png,image/jpeg,image/webp"


class ImageForm(FlaskForm):
    image = FileField("Image")
