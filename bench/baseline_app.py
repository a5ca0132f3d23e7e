"""The baseline for page benchmarks: a bare Flask app rendering a small compiled template,
served by the same gunicorn configuration as Commons."""

from flask import Flask

app = Flask(__name__)
PAGE = app.jinja_env.from_string(
    "<!doctype html><title>x</title><ul>{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul>"
)


@app.get("/")
def index():
    return PAGE.render(items=range(20))
