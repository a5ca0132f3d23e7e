def test_healthz_reports_database_and_redis_disabled(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "disabled"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    from tests.conftest import make_test_app

    app = make_test_app("sqlite:////nonexistent-dir/for/sure/x.db", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "error"
