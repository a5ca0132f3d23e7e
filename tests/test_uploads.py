"""Upload checking: real sample files of every allowed type, and the ways a file is refused."""

import io
import struct
import zipfile
import zlib

import filetype
import pytest
from PIL import ExifTags, Image, PngImagePlugin

from community import uploads
from community.errors import Invalid
from community.uploads import check_upload
from tests.filesamples import mp3_bytes, pdf_bytes

MB = 1024 * 1024
LIMIT = 50 * MB


def refused(filename: str, data: bytes, **kwargs) -> str:
    kwargs.setdefault("max_bytes", LIMIT)
    with pytest.raises(Invalid) as caught:
        check_upload(filename, data, **kwargs)
    assert caught.value.field == "file"
    return caught.value.message


# --- sample files, made here ------------------------------------------------------------


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def zip_bytes(members: list[tuple[str, str | bytes]], stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, content) in enumerate(members):
            kind = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=kind)
    return out.getvalue()


def ooxml_bytes(folder: str, part: str, extra: list | None = None) -> bytes:
    return zip_bytes(
        [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", "<Relationships/>"),
            (f"{folder}/{part}", "<root/>"),
            *(extra or []),
        ]
    )


def odf_bytes(mimetype: str) -> bytes:
    return zip_bytes(
        [("mimetype", mimetype), ("content.xml", "<office:document-content/>")],
        stored_first=True,
    )


def ole_bytes(stream: str) -> bytes:
    """An OLE compound file header and a directory entry naming the main stream."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    entry = (stream.encode("utf-16-le") + b"\x00\x00").ljust(64, b"\x00")
    return header + bytes(512) + b"Root Entry".ljust(64, b"\x00") + bytes(64) + entry + bytes(64)


def m4a_bytes() -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftypM4A " + struct.pack(">I", 0) + b"M4A isom"
    mdat = struct.pack(">I", 16) + b"mdat" + bytes(8)
    return ftyp + mdat


def image_bytes(fmt: str, size=(40, 30), mode="RGB", **save) -> bytes:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else None)
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 9"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 40.0)
    return image_bytes("JPEG", exif=exif, comment=b"secret comment")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_declaring(width: int, height: int) -> bytes:
    """A PNG header claiming these dimensions, with a token amount of image data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


# --- what is accepted --------------------------------------------------------------------


DOCUMENTS = [
    ("report.pdf", pdf_bytes, "pdf", "application/pdf"),
    (
        "minutes.docx",
        lambda: ooxml_bytes("word", "document.xml"),
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "budget.xlsx",
        lambda: ooxml_bytes("xl", "workbook.xml"),
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "slides.pptx",
        lambda: ooxml_bytes("ppt", "presentation.xml"),
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (
        "notes.odt",
        lambda: odf_bytes("application/vnd.oasis.opendocument.text"),
        "odt",
        "application/vnd.oasis.opendocument.text",
    ),
    (
        "figures.ods",
        lambda: odf_bytes("application/vnd.oasis.opendocument.spreadsheet"),
        "ods",
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
    (
        "talk.odp",
        lambda: odf_bytes("application/vnd.oasis.opendocument.presentation"),
        "odp",
        "application/vnd.oasis.opendocument.presentation",
    ),
    ("old.doc", lambda: ole_bytes("WordDocument"), "doc", "application/msword"),
    ("old.xls", lambda: ole_bytes("Workbook"), "xls", "application/vnd.ms-excel"),
    ("old.ppt", lambda: ole_bytes("PowerPoint Document"), "ppt", "application/vnd.ms-powerpoint"),
]


@pytest.mark.parametrize(
    ("filename", "make", "extension", "content_type"),
    DOCUMENTS,
    ids=[d[2] for d in DOCUMENTS],
)
def test_documents_are_accepted_as_what_their_content_is(filename, make, extension, content_type):
    data = make()
    upload = check_upload(filename, data, max_bytes=LIMIT)
    assert upload.extension == extension
    assert upload.content_type == content_type
    assert upload.kind == "document"
    assert upload.display_name == filename
    assert upload.data == data  # documents are stored exactly as sent


def test_ooxml_is_told_apart_by_its_folders_even_when_misnamed():
    upload = check_upload("budget.docx", ooxml_bytes("xl", "workbook.xml"), max_bytes=LIMIT)
    assert upload.extension == "xlsx"
    assert upload.display_name == "budget.xlsx"


def test_ooxml_members_in_another_order_are_still_recognised():
    # LibreOffice writes _rels first and the content types later.
    data = zip_bytes(
        [
            ("_rels/.rels", "<Relationships/>"),
            ("docProps/app.xml", "<Properties/>"),
            ("ppt/slides/slide1.xml", "<p:sld/>"),
            ("[Content_Types].xml", CONTENT_TYPES),
        ]
    )
    assert check_upload("deck.pptx", data, max_bytes=LIMIT).extension == "pptx"


@pytest.mark.parametrize(
    ("filename", "make", "extension", "content_type"),
    [
        ("episode.mp3", mp3_bytes, "mp3", "audio/mpeg"),
        ("interview.m4a", m4a_bytes, "m4a", "audio/mp4"),
    ],
)
def test_audio_is_accepted(filename, make, extension, content_type):
    data = make()
    upload = check_upload(filename, data, max_bytes=LIMIT)
    assert (upload.extension, upload.content_type, upload.kind) == (
        extension,
        content_type,
        "audio",
    )
    assert upload.data == data


@pytest.mark.parametrize(
    ("fmt", "filename", "extension", "content_type"),
    [
        ("PNG", "chart.png", "png", "image/png"),
        ("JPEG", "photo.jpg", "jpg", "image/jpeg"),
        ("WEBP", "photo.webp", "webp", "image/webp"),
    ],
)
def test_images_are_reencoded_in_their_own_format(fmt, filename, extension, content_type):
    data = image_bytes(fmt, size=(40, 30))
    upload = check_upload(filename, data, max_bytes=LIMIT)
    assert (upload.extension, upload.content_type, upload.kind) == (
        extension,
        content_type,
        "image",
    )
    assert upload.display_name == filename
    with Image.open(io.BytesIO(upload.data)) as image:
        assert image.format == fmt
        assert image.size == (40, 30)


def test_jpeg_metadata_including_gps_is_stripped():
    data = jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as original:  # the sample really carries it
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert original.getexif()[ExifTags.Base.Make] == "PhoneMaker"
    upload = check_upload("holiday.jpeg", data, max_bytes=LIMIT)
    with Image.open(io.BytesIO(upload.data)) as cleaned:
        assert "exif" not in cleaned.info
        assert len(cleaned.getexif()) == 0
        assert "comment" not in cleaned.info
    assert b"PhoneMaker" not in upload.data
    assert b"secret comment" not in upload.data
    assert upload.display_name == "holiday.jpeg"


def test_png_text_chunks_are_stripped_and_transparency_kept():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Private")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPS here</x:xmpmeta>")
    image = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    image.putpixel((1, 1), (255, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    upload = check_upload("logo.png", out.getvalue(), max_bytes=LIMIT)
    assert b"Jane Private" not in upload.data
    assert b"GPS here" not in upload.data
    with Image.open(io.BytesIO(upload.data)) as cleaned:
        assert cleaned.mode == "RGBA"
        assert cleaned.getpixel((0, 0))[3] == 0
        assert cleaned.getpixel((1, 1)) == (255, 0, 0, 255)


def test_exif_orientation_is_applied_before_it_is_dropped():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° to display
    data = image_bytes("JPEG", size=(40, 30), exif=exif)
    upload = check_upload("portrait.jpg", data, max_bytes=LIMIT)
    with Image.open(io.BytesIO(upload.data)) as cleaned:
        assert cleaned.size == (30, 40)


def test_webp_exif_is_stripped():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    data = image_bytes("WEBP", exif=exif)
    assert b"PhoneMaker" in data
    upload = check_upload("a.webp", data, max_bytes=LIMIT)
    assert b"PhoneMaker" not in upload.data


@pytest.mark.parametrize(
    ("filename", "text", "extension"),
    [
        ("members.csv", "name,organisation\nAlice,Acme\nBob,3 < 5 > 2\n", "csv"),
        ("notes.txt", "Plain notes — with UTF-8: café, naïve, 日本.\n", "txt"),
        ("readme", "Meeting at 10.\nBring a <pen>.\n", "txt"),
        ("bom.csv", "\ufeffa,b\n1,2\n", "csv"),
        ("notes.md", "# Heading\n\nSome *text* and 2 < 3.\n", "txt"),
    ],
)
def test_utf8_text_and_csv_are_accepted(filename, text, extension):
    data = text.encode()
    upload = check_upload(filename, data, max_bytes=LIMIT)
    assert upload.extension == extension
    assert upload.content_type.startswith("text/csv" if extension == "csv" else "text/plain")
    assert "charset=utf-8" in upload.content_type
    assert upload.kind == "document"
    assert upload.data == data
    assert upload.display_name.endswith((".csv", ".txt", ".md"))


def test_text_named_as_something_else_gets_a_text_extension():
    upload = check_upload("report.pdf", b"just some words\n", max_bytes=LIMIT)
    assert upload.extension == "txt"
    assert upload.display_name == "report.txt"


def test_an_image_misnamed_is_kept_with_its_real_extension():
    upload = check_upload("photo.png", image_bytes("JPEG"), max_bytes=LIMIT)
    assert upload.extension == "jpg"
    assert upload.display_name == "photo.jpg"


# --- what is refused ---------------------------------------------------------------------


def test_zero_bytes_are_refused():
    assert refused("empty.pdf", b"") == "That file is empty."


def test_over_the_limit_is_refused_and_at_the_limit_accepted():
    data = b"a,b\n" * 256  # 1024 bytes
    assert check_upload("x.csv", data, max_bytes=1024).size == 1024
    assert "too large" in refused("x.csv", data + b"1", max_bytes=1024)
    assert "the limit is 2 MB" in refused("x.csv", b"a" * (2 * MB + 1), max_bytes=2 * MB)


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("report.pdf", HTML),
        ("data.csv", b"\xef\xbb\xbf  \r\n\t<HTML><body>hi</body></HTML>"),
        ("notes.txt", b"Hello\n<script src=//evil.example/x.js></script>"),
        ("notes.txt", b"   <!doctype html>\n<p>hi"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("chart.jpg", b'<?xml version="1.0"?><svg/>'),
        ("feed.txt", b'<?xml version="1.0"?><rss/>'),
        ("frame.txt", b"x\n<IFRAME src=https://evil.example>"),
        ("link.csv", b'a,b\n1,<a href="javascript:alert(1)">x</a>'),
        ("body.txt", b"<BODY onload=alert(1)>"),
        ("comment.txt", b"<!-- hidden -->"),
        ("image.txt", b"text <img src=x onerror=alert(1)>"),
    ],
)
def test_markup_is_refused_whatever_the_name(filename, data):
    message = refused(filename, data)
    assert "markup" in message


def test_html_disguised_as_pdf_says_why():
    assert refused("report.pdf", HTML) == (
        "That file contains web page markup (HTML, SVG or XML), which is not accepted."
    )


@pytest.mark.parametrize(
    "filename",
    ["page.html", "page.HTM", "drawing.svg", "data.xml", "app.js", "run.sh", "setup.exe"],
)
def test_markup_and_script_names_are_refused_even_with_harmless_content(filename):
    message = refused(filename, b"nothing dangerous here\n")
    assert "not accepted" in message


def test_shebang_scripts_are_refused():
    assert refused("tool.txt", b"#!/bin/sh\nrm -rf /\n") == "Scripts are not accepted."


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("anim.gif", b"GIF89a" + bytes(40)),
        ("archive.gz", b"\x1f\x8b\x08" + bytes(20)),
        ("program.bin", b"\x7fELF\x02\x01\x01" + bytes(40)),
        ("blob.dat", bytes(range(256)) * 4),
        ("video.mp4", struct.pack(">I", 20) + b"ftypisom" + bytes(8) + bytes(16)),
        ("picture.bmp", image_bytes("BMP")),
        ("doc.rtf", b"{\\rtf1\\ansi hello}"),
        ("message.msg", ole_bytes("__substg1.0_0037001F")),
        ("nul.txt", b"text with a \x00 NUL byte"),
    ],
)
def test_other_types_are_refused_with_the_allowlist(filename, data):
    message = refused(filename, data)
    assert message == uploads.NOT_ACCEPTED
    assert "PDF" in message
    assert "PNG" in message


def test_non_utf8_text_is_refused_with_advice():
    data = "name\nCafé Zoë\n".encode("latin-1")
    assert refused("people.csv", data) == "Text and CSV files must be saved as UTF-8."


def test_a_plain_zip_is_refused():
    data = zip_bytes([("a.txt", "hello"), ("b/c.txt", "world")])
    assert "ZIP archives are not accepted" in refused("docs.zip", data)
    assert "ZIP archives are not accepted" in refused("disguised.docx", data)


def test_a_zip_with_an_unknown_odf_mimetype_is_refused():
    data = odf_bytes("application/vnd.oasis.opendocument.graphics")
    assert "ZIP archives" in refused("drawing.odt", data)


def test_macro_enabled_office_documents_are_refused():
    data = ooxml_bytes("word", "document.xml", extra=[("word/vbaProject.bin", b"\x00" * 16)])
    assert "macros" in refused("invoice.docx", data)


def test_a_damaged_zip_is_refused():
    data = ooxml_bytes("word", "document.xml")[:60]
    assert "damaged" in refused("minutes.docx", data)


def test_a_pixel_bomb_is_refused():
    data = png_declaring(100_000, 100_000)  # 10 gigapixels declared, a few bytes sent
    assert filetype.guess(data).extension == "png"
    assert refused("bomb.png", data) == "That image is too large: at most 40 megapixels."


def test_just_over_the_pixel_limit_is_refused():
    # 7000 × 7000 = 49 megapixels: over the limit, under twice it (where Pillow only warns).
    assert "too large" in refused("big.png", png_declaring(7000, 7000))


def test_at_the_pixel_limit_the_header_alone_is_not_refused_for_size():
    # 8000 × 5000 = 40 megapixels exactly: not too large, but this sample has no real pixels.
    assert "could not be read" in refused("big.png", png_declaring(8000, 5000))


def test_an_image_pillow_cannot_decode_is_refused():
    data = image_bytes("PNG", size=(64, 64))
    assert "could not be read" in refused("cut.png", data[: len(data) // 2])
    assert "could not be read" in refused("fake.jpg", b"\xff\xd8\xff\xe0" + bytes(100))


@pytest.mark.parametrize(
    ("kinds", "filename", "make"),
    [
        ({"image"}, "report.pdf", pdf_bytes),
        ({"image"}, "episode.mp3", mp3_bytes),
        ({"audio"}, "photo.png", lambda: image_bytes("PNG")),
        ({"image", "audio"}, "notes.txt", lambda: b"hello\n"),
    ],
)
def test_kinds_limit_what_a_form_takes(kinds, filename, make):
    message = refused(filename, make(), kinds=kinds)
    assert message.startswith("Only ")
    assert "can be uploaded here" in message


def test_kinds_allow_the_right_kind():
    assert check_upload("a.png", image_bytes("PNG"), max_bytes=LIMIT, kinds={"image"}).kind == (
        "image"
    )


# --- display names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "extension", "expected"),
    [
        ("../../etc/passwd", "txt", "passwd.txt"),
        ("..\\..\\windows\\system.ini", "txt", "system.ini.txt"),
        ("C:\\Users\\jo\\Documents\\Annual report.pdf", "pdf", "Annual report.pdf"),
        ("/var/www/.htaccess", "txt", "htaccess.txt"),
        ("...hidden.csv", "csv", "hidden.csv"),
        ("bad\x00name\x1b[31m.pdf", "pdf", "badname[31m.pdf"),
        ("line\nbreak\ttab.pdf", "pdf", "line break tab.pdf"),
        ("invoice\u202efdp.exe", "pdf", "invoicefdp.pdf"),  # no right-to-left override
        ("photo.JPEG", "jpg", "photo.JPEG"),
        ("photo.png", "jpg", "photo.jpg"),
        ("minutes 2007.06", "pdf", "minutes 2007.06.pdf"),
        ("", "pdf", "file.pdf"),
        ("...", "pdf", "file.pdf"),
        ("../", "pdf", "file.pdf"),
        ("  spaced   out  .pdf", "pdf", "spaced out.pdf"),
        ("Café Zoë – résumé.docx", "docx", "Café Zoë – résumé.docx"),
    ],
)
def test_display_names_are_cleaned(filename, extension, expected):
    aliases = uploads.TYPES[extension].aliases
    assert uploads.clean_display_name(filename, extension, aliases) == expected


def test_display_names_are_kept_to_200_characters_with_the_extension():
    name = uploads.clean_display_name("a" * 500 + ".pdf", "pdf")
    assert len(name) == 200
    assert name.endswith("a.pdf")


def test_check_upload_cleans_the_name():
    upload = check_upload("../../../secret/\x07notes.txt", b"hello\n", max_bytes=LIMIT)
    assert upload.display_name == "notes.txt"
    assert "/" not in upload.display_name


def test_a_held_file_comes_back_only_to_its_owner_and_only_untampered(app, tmp_path):
    """uploads.hold/held: the file kept while a form is corrected (the resource forms)."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    with app.app_context():
        upload = check_upload("Report.pdf", pdf_bytes(), max_bytes=10**7)
        token = uploads.hold(upload, 7)
        back = uploads.held(token, 7)
        assert back == upload
        assert uploads.held(token, 8) is None  # someone else's token
        assert uploads.held(token[:-2] + "xx", 7) is None  # forged
        assert uploads.held("", 7) is None
