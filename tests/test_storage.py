"""The file storage: content addressing, atomic writes, safe paths, and serving files."""

import hashlib
import io
import os
from pathlib import Path

import pytest
from flask import Flask, request

from community import storage
from community.errors import NotFound
from tests.conftest import make_test_app

DATA = bytes(range(256)) * 40  # 10,240 bytes
DATA_HASH = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def upload_dir(tmp_path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def bare_app(upload_dir):
    """Storage needs only the setting: a bare Flask app, no database."""
    app = Flask(__name__)
    app.config["UPLOAD_DIR"] = str(upload_dir)
    with app.app_context():
        yield app


@pytest.fixture
def site(databases, tmp_path, upload_dir):
    """The real application (its error pages and security headers) with a route that serves
    a stored file as a resource view would."""
    app = make_test_app(databases.url("sqlite"), tmp_path / "instance", UPLOAD_DIR=str(upload_dir))

    @app.get("/test-files/<sha256>")
    def serve(sha256):
        return storage.send(
            sha256,
            display_name=request.args.get("name", "file.bin"),
            content_type=request.args.get("type", "application/octet-stream"),
            inline="inline" in request.args,
        )

    return app


def stored_files(upload_dir: Path) -> list[Path]:
    return sorted(p for p in upload_dir.rglob("*") if p.is_file())


# --- storing -------------------------------------------------------------------------------


def test_store_names_the_file_by_its_hash(bare_app, upload_dir):
    stored = storage.store(DATA)
    assert stored == storage.StoredFile(sha256=DATA_HASH, size=len(DATA))
    path = upload_dir / DATA_HASH[:2] / DATA_HASH
    assert path.read_bytes() == DATA
    assert storage.path_for(DATA_HASH) == path
    assert storage.exists(DATA_HASH)


def test_the_same_bytes_are_stored_once(bare_app, upload_dir):
    first = storage.store(DATA)
    second = storage.store(io.BytesIO(DATA))
    assert first == second
    assert stored_files(upload_dir) == [upload_dir / DATA_HASH[:2] / DATA_HASH]
    assert not list((upload_dir / "incoming").iterdir())  # no temporary file left behind


def test_different_bytes_are_different_files(bare_app, upload_dir):
    a = storage.store(b"first file")
    b = storage.store(b"second file")
    assert a.sha256 != b.sha256
    assert len(stored_files(upload_dir)) == 2


def test_a_stream_is_stored_in_chunks(bare_app, monkeypatch):
    monkeypatch.setattr(storage, "CHUNK", 1000)
    reads = []

    class Recording(io.BytesIO):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    stored = storage.store(Recording(DATA))
    assert stored.sha256 == DATA_HASH
    assert stored.size == len(DATA)
    assert set(reads) == {1000}  # never the whole stream at once
    assert len(reads) == 12  # 11 chunks and the empty read that ends it


def test_a_failed_write_leaves_nothing_behind(bare_app, upload_dir):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise OSError("connection reset")
            return super().read(size)

    with pytest.raises(OSError, match="connection reset"):
        storage.store(Broken(DATA))
    assert stored_files(upload_dir) == []


def test_storing_again_leaves_the_existing_file_alone(bare_app, upload_dir):
    stored = storage.store(DATA)
    path = storage.path_for(stored.sha256)
    inode = path.stat().st_ino
    storage.store(DATA)
    assert path.stat().st_ino == inode  # the second store did not touch it


def test_open_reads_back_the_bytes(bare_app):
    stored = storage.store(DATA)
    with storage.open(stored.sha256) as f:
        assert f.read() == DATA


def test_open_and_exists_for_a_missing_file(bare_app):
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not storage.exists(missing)
    with pytest.raises(NotFound):
        storage.open(missing)


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "",
        "..",
        "/etc/passwd",
        DATA_HASH.upper(),
        DATA_HASH[:63],
        DATA_HASH + "0",
        "../" + DATA_HASH[3:],
        DATA_HASH[:62] + "/x",
        DATA_HASH[:63] + "g",
        DATA_HASH[:63] + "\n",
        None,
        12345,
    ],
)
def test_only_a_hash_becomes_a_path(bare_app, name):
    with pytest.raises(NotFound):
        storage.path_for(name)
    assert storage.exists(name) is False
    with pytest.raises(NotFound):
        storage.open(name)


def test_the_traversal_target_is_never_opened(bare_app, upload_dir, tmp_path):
    (tmp_path / "secret").write_text("do not serve")
    upload_dir.mkdir()
    with pytest.raises(NotFound):
        storage.open("../secret")


# --- serving -------------------------------------------------------------------------------


def get(app, url: str, **kwargs):
    """GET, read the body and close the response (which closes the served file)."""
    response = app.test_client().get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def store_in(app, data: bytes) -> str:
    with app.app_context():
        return storage.store(data).sha256


def test_a_document_is_served_as_a_download(site):
    sha = store_in(site, b"%PDF-1.4 a document")
    response = get(site, f"/test-files/{sha}?name=Annual report.pdf&type=application/pdf")
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 a document"
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Annual report.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "private" in response.headers["Cache-Control"]


def test_the_site_wide_policy_is_replaced_not_added_to(site):
    sha = store_in(site, b"plain")
    response = get(site, f"/test-files/{sha}?type=text/plain")
    assert response.headers.getlist("Content-Security-Policy") == ["sandbox"]
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    # …while ordinary pages keep the site's policy.
    page = get(site, "/no-such-page")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_audio_is_served_inline_when_asked(site):
    sha = store_in(site, b"ID3" + DATA)
    response = get(site, f"/test-files/{sha}?name=episode.mp3&type=audio/mpeg&inline")
    assert response.status_code == 200
    assert response.mimetype == "audio/mpeg"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert "episode.mp3" in response.headers["Content-Disposition"]
    assert response.headers["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg", "image/webp", "audio/mp4"])
def test_raster_images_and_audio_may_be_inline(site, content_type):
    sha = store_in(site, DATA)
    response = get(site, f"/test-files/{sha}?type={content_type}&inline")
    assert response.headers["Content-Disposition"].startswith("inline")


@pytest.mark.parametrize(
    "content_type",
    ["application/pdf", "text/plain; charset=utf-8", "image/svg+xml", "text/html", "text/csv"],
)
def test_everything_else_is_a_download_even_when_inline_is_asked(site, content_type):
    sha = store_in(site, DATA)
    response = get(site, f"/test-files/{sha}", query_string={"type": content_type, "inline": ""})
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_a_range_request_gets_206_and_just_those_bytes(site):
    sha = store_in(site, DATA)
    response = get(
        site, f"/test-files/{sha}?type=audio/mpeg&inline", headers={"Range": "bytes=1000-1999"}
    )
    assert response.status_code == 206
    assert response.data == DATA[1000:2000]
    assert response.headers["Content-Range"] == f"bytes 1000-1999/{len(DATA)}"
    assert response.headers["Content-Length"] == "1000"
    assert response.headers["Content-Security-Policy"] == "sandbox"

    tail = get(site, f"/test-files/{sha}?type=audio/mpeg", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206
    assert tail.data == DATA[-10:]


def test_a_range_past_the_end_is_416(site):
    sha = store_in(site, DATA)
    response = get(
        site, f"/test-files/{sha}?type=audio/mpeg", headers={"Range": f"bytes={len(DATA) + 5}-"}
    )
    assert response.status_code == 416


def test_the_etag_is_the_hash_and_revalidation_gets_304(site):
    sha = store_in(site, DATA)
    first = get(site, f"/test-files/{sha}?type=application/pdf")
    assert first.headers["ETag"] == f'"{sha}"'
    again = get(site, f"/test-files/{sha}?type=application/pdf", headers={"If-None-Match": sha})
    assert again.status_code == 304
    assert again.data == b""


def test_a_non_ascii_display_name_is_offered_safely(site):
    sha = store_in(site, DATA)
    response = get(
        site,
        f"/test-files/{sha}",
        query_string={"name": "Café résumé.pdf", "type": "application/pdf"},
    )
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''Caf%C3%A9%20r%C3%A9sum%C3%A9.pdf" in disposition
    disposition.encode("latin-1")  # a header value a server can send


@pytest.mark.parametrize(
    "name",
    [DATA_HASH.upper(), DATA_HASH[:20], "..%2F..%2Fetc%2Fpasswd", "x" * 64],
)
def test_anything_but_a_stored_hash_is_404(site, name):
    store_in(site, DATA)
    response = get(site, f"/test-files/{name}")
    assert response.status_code == 404
    assert response.headers["Content-Security-Policy"] != "sandbox"  # the ordinary 404 page


def test_a_hash_not_stored_is_404(site):
    response = get(site, f"/test-files/{hashlib.sha256(b'nope').hexdigest()}")
    assert response.status_code == 404


def test_upload_dir_is_created_on_first_store(bare_app, upload_dir):
    assert not upload_dir.exists()
    storage.store(b"x")
    assert upload_dir.is_dir()
    assert os.listdir(upload_dir / "incoming") == []
