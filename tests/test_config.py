"""Settings come from the environment and `.env`, with the embedded mode's defaults."""

import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from community import config, create_app
from community.config import ConfigError, database_url, environment, load

PG = "postgresql+psycopg://commons:secret@db.internal:5432/commons"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No application variable in the environment, and a `.env` of our own (not yet written)."""
    for name in config.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    dotenv = tmp_path / "project" / ".env"
    dotenv.parent.mkdir()
    monkeypatch.setattr(config, "DOTENV_PATH", dotenv)
    return dotenv


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://commons:secret@db.internal:5432/commons", PG),
        ("postgresql://commons:secret@db.internal:5432/commons", PG),
        (PG, PG),
        ("sqlite:////srv/commons.db", "sqlite:////srv/commons.db"),
    ],
)
def test_database_urls_get_the_psycopg_driver(given, expected):
    assert database_url(given) == expected
    assert load({"DATABASE_URL": given})["SQLALCHEMY_DATABASE_URI"] == expected


def test_the_embedded_defaults_need_no_variables(tmp_path):
    settings = load({"INSTANCE_DIR": str(tmp_path)})
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'commons.db'}"
    assert settings["UPLOAD_DIR"] == str(tmp_path / "uploads")
    assert settings["SITE_URL"] == "http://127.0.0.1:5000"
    assert settings["SCALED_OUT"] is False
    assert settings["REDIS_URL"] is None
    assert settings["SECRET_KEY"] is None
    assert (settings["HOST"], settings["PORT"]) == ("127.0.0.1", 5000)
    assert load({})["INSTANCE_DIR"] == str(config.PROJECT_ROOT / "instance")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "5101"}, "http://127.0.0.1:5101"),
        ({"HOST": "commons.lan", "PORT": "8000"}, "http://commons.lan:8000"),
        ({"HOST": "0.0.0.0", "PORT": "5101"}, "http://127.0.0.1:5101"),  # noqa: S104
        ({"HOST": "::1", "PORT": "5101"}, "http://[::1]:5101"),
        (
            {"PORT": "5101", "SITE_URL": "https://commons.example.org/"},
            "https://commons.example.org",
        ),
    ],
)
def test_site_url_follows_the_bind_address_unless_given(env, expected):
    assert load(env)["SITE_URL"] == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, True),
        ({"DATABASE_URL": PG}, False),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, False),
        ({"DATABASE_URL": PG, "JOBS_IN_PROCESS": "1"}, True),
        ({"JOBS_IN_PROCESS": "off"}, False),
        ({"JOBS_IN_PROCESS": "Yes"}, True),
    ],
)
def test_jobs_run_in_process_by_default_only_in_the_embedded_mode(env, expected):
    assert load(env)["JOBS_IN_PROCESS"] is expected


@pytest.mark.parametrize(
    ("name", "value"),
    [("JOBS_IN_PROCESS", "maybe"), ("PORT", "eighty"), ("MAX_UPLOAD_MB", "0"), ("PORT", "-1")],
)
def test_unusable_values_are_refused_with_the_variable_named(name, value):
    with pytest.raises(ConfigError, match=name):
        load({name: value})


def test_dotenv_is_read_and_the_real_environment_wins(clean_env, monkeypatch):
    clean_env.write_text(
        "SITE_URL=https://commons.example.org/\n"
        "PORT=6000\n"
        "MAIL_FROM='Commons <hello@commons.example.org>'\n"
        "NOT_OURS=ignored\n"
        "SMTP_URL=\n"
    )
    monkeypatch.setenv("PORT", "7000")
    monkeypatch.setenv("PATH_OF_SOMETHING_ELSE", "x")

    assert environment() == {
        "SITE_URL": "https://commons.example.org/",
        "PORT": "7000",
        "MAIL_FROM": "Commons <hello@commons.example.org>",
    }
    settings = load()
    assert settings["SITE_URL"] == "https://commons.example.org"
    assert settings["PORT"] == 7000
    assert settings["SMTP_URL"] is None


def test_environment_reads_a_given_dotenv_file(tmp_path, clean_env):
    other = tmp_path / "elsewhere.env"
    other.write_text("LOG_LEVEL=debug\n")
    assert environment(other) == {"LOG_LEVEL": "debug"}
    assert environment() == {}  # the default file does not exist


def test_secret_key_is_generated_once_kept_private_and_reused(clean_env, monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    monkeypatch.setenv("INSTANCE_DIR", str(instance))

    first = create_app()
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 32

    second = create_app()
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert sorted(p.name for p in instance.iterdir() if "secret" in p.name) == ["secret_key"]


def test_processes_starting_together_agree_on_one_key(tmp_path):
    instance = tmp_path / "instance"
    barrier = threading.Barrier(8)
    keys: list[str] = []

    def start():
        barrier.wait()
        keys.append(config.instance_secret_key(instance))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8
    assert set(keys) == {(instance / "secret_key").read_text()}
    assert [p.name for p in instance.iterdir()] == ["secret_key"]


def test_an_empty_key_file_is_refused_not_used(tmp_path):
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(ConfigError, match="secret_key is empty"):
        config.instance_secret_key(tmp_path)


@pytest.mark.parametrize(
    "variable", [("DATABASE_URL", "postgres://u@127.0.0.1/x"), ("REDIS_URL", "redis://127.0.0.1")]
)
def test_scaled_out_mode_refuses_to_start_without_a_secret_key(
    variable, clean_env, monkeypatch, tmp_path
):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv(*variable)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set when DATABASE_URL or REDIS_URL"):
        create_app()
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_scaled_out_mode_starts_with_the_given_key(clean_env, monkeypatch, tmp_path):
    clean_env.write_text("SECRET_KEY=from-the-dotenv-file\n")
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1/x")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-dotenv-file"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/x"
    assert app.config["JOBS_IN_PROCESS"] is False
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_settings_given_to_create_app_win_over_the_environment(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("SITE_URL", "https://from-env.example")
    app = create_app({"SITE_URL": "http://given.example", "SECRET_KEY": "given"})
    assert app.config["SITE_URL"] == "http://given.example"
    assert app.config["SECRET_KEY"] == "given"


def test_only_config_reads_the_environment():
    root = config.PROJECT_ROOT
    readers = [
        path.relative_to(root)
        for path in [*root.joinpath("community").rglob("*.py"), root / "wsgi.py"]
        if path.name != "config.py"
        and ("os.environ" in (text := path.read_text()) or "getenv(" in text)
    ]
    assert readers == []


def test_reading_the_settings_imports_neither_flask_nor_ssl():
    """gunicorn.conf.py imports the settings in the gunicorn master, before the gevent worker
    monkey-patches the standard library: whatever is imported there stays unpatched."""
    probe = (
        "import sys, community.config; "
        "print(sorted(m for m in ('ssl', 'flask', 'sqlalchemy', 'redis', 'gevent') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(config.PROJECT_ROOT),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"
