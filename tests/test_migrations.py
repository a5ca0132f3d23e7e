"""The migrations are the schema: they build an empty database, come apart, and match the models.

Each case gets a database of its own, created empty here (a new SQLite file; a new PostgreSQL
database, dropped at the end), and drives it through the real `flask db` commands.
"""

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from community.config import database_url
from community.db import include_in_autogenerate
from community.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_test_app, missing_service


@pytest.fixture
def empty_database(backend, tmp_path):
    """The URL of a database that has never seen a migration."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    if not TEST_DATABASE_URL:
        missing_service("TEST_DATABASE_URL is not set: PostgreSQL tests need a server")
    admin_url = make_url(database_url(TEST_DATABASE_URL))
    name = f"commons_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh_app(empty_database, tmp_path):
    app = make_test_app(empty_database, tmp_path / "instance")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def flask_db(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exception is None, f"flask db {' '.join(args)}: {result.exception!r}"
    assert result.exit_code == 0, result.output


def tables() -> set[str]:
    """The database's tables, leaving out the full-text index (made by hand, per backend)."""
    db.session.remove()
    names = inspect(db.engine).get_table_names()
    return {n for n in names if include_in_autogenerate(n, "table", None)}


def revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_differences(metadata: sa.MetaData) -> list:
    """What autogenerate would write to make the database match `metadata`."""
    db.session.remove()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_name": include_in_autogenerate,
            },
        )
        return compare_metadata(context, metadata)


def model_tables() -> set[str]:
    return set(db.metadata.tables)


def test_upgrade_downgrade_upgrade_on_an_empty_database(fresh_app):
    assert tables() == set()

    flask_db(fresh_app, "upgrade")
    assert tables() == model_tables() | {"alembic_version"}
    head = revision()
    assert head is not None

    flask_db(fresh_app, "downgrade", "base")
    assert tables() == {"alembic_version"}
    assert revision() is None

    flask_db(fresh_app, "upgrade")
    assert tables() == model_tables() | {"alembic_version"}
    assert revision() == head


def test_the_migrated_schema_matches_the_models(fresh_app):
    flask_db(fresh_app, "upgrade")
    assert schema_differences(db.metadata) == []


def test_the_schema_comparison_notices_a_model_the_migrations_do_not_have(fresh_app):
    """The check above can fail: a column and a table missing from the migrations show up."""
    flask_db(fresh_app, "upgrade")
    drifted = sa.MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["community"].append_column(sa.Column("drift_probe", sa.Integer()))
    sa.Table("drift_table", drifted, sa.Column("id", sa.Integer, primary_key=True))

    differences = schema_differences(drifted)
    kinds = {(d[0], d[2] if d[0] == "add_column" else d[1].name) for d in differences}
    assert kinds == {("add_column", "community"), ("add_table", "drift_table")}
