"""Checking an uploaded file before it is stored: what it really is, and whether we take it.

The type comes from the content (magic bytes, via `filetype`), never from the name or the
browser's Content-Type, and must be on the allowlist below. Text (CSV and plain) has no
magic bytes: it is accepted only as UTF-8 without anything a browser could take for HTML.
Images are decoded and re-encoded, which drops their metadata (EXIF with GPS, XMP, text
chunks) and proves they decode; their pixel count is limited. The file's name is kept only
as a display name, cleaned, with the extension of the detected type.
"""

import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from typing import NoReturn

import filetype
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from PIL import Image, ImageOps, UnidentifiedImageError

from . import ratelimits, storage
from .errors import Invalid, NotFound

MAX_IMAGE_PIXELS = 40_000_000
# Pillow refuses anything over twice this outright and warns above it; the warning is turned
# into a refusal below, so the limit is MAX_IMAGE_PIXELS.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

MAX_DISPLAY_NAME = 200


@dataclass(frozen=True)
class FileType:
    extension: str
    content_type: str
    kind: str  # "image", "audio" or "document"
    label: str
    aliases: tuple[str, ...] = ()

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.extension, *self.aliases)


_TYPES = [
    FileType("pdf", "application/pdf", "document", "PDF"),
    FileType("doc", "application/msword", "document", "Word"),
    FileType(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "document",
        "Word",
    ),
    FileType("xls", "application/vnd.ms-excel", "document", "Excel"),
    FileType(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "document",
        "Excel",
    ),
    FileType("ppt", "application/vnd.ms-powerpoint", "document", "PowerPoint"),
    FileType(
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "document",
        "PowerPoint",
    ),
    FileType("odt", "application/vnd.oasis.opendocument.text", "document", "OpenDocument"),
    FileType("ods", "application/vnd.oasis.opendocument.spreadsheet", "document", "OpenDocument"),
    FileType("odp", "application/vnd.oasis.opendocument.presentation", "document", "OpenDocument"),
    FileType("csv", "text/csv; charset=utf-8", "document", "CSV"),
    FileType("txt", "text/plain; charset=utf-8", "document", "plain text", ("text", "md")),
    FileType("mp3", "audio/mpeg", "audio", "MP3"),
    FileType("m4a", "audio/mp4", "audio", "M4A"),
    FileType("png", "image/png", "image", "PNG"),
    FileType("jpg", "image/jpeg", "image", "JPEG", ("jpeg", "jpe")),
    FileType("webp", "image/webp", "image", "WebP"),
]
TYPES = {t.extension: t for t in _TYPES}

# filetype's extension → ours, for the types whose magic bytes filetype knows outright.
_BY_MAGIC = {"pdf": "pdf", "mp3": "mp3", "m4a": "m4a", "png": "png", "jpg": "jpg", "webp": "webp"}

# Names that say "web page or program": refused whatever the bytes are.
# fmt: off
REFUSED_EXTENSIONS = {
    "htm", "html", "xhtml", "xht", "shtml", "mht", "mhtml", "svg", "svgz", "xml", "xsl",
    "xslt", "js", "mjs", "cjs", "jsx", "ts", "vbs", "vba", "wsf", "hta", "sh", "bash", "zsh",
    "ps1", "psm1", "bat", "cmd", "com", "exe", "msi", "dll", "scr", "jar", "py", "pl", "rb",
    "php", "phtml", "asp", "aspx", "jsp", "cgi", "swf",
}
# Extensions a name may end with that get replaced (rather than kept) by the detected one.
_KNOWN_EXTENSIONS = {
    *(e for t in _TYPES for e in t.extensions),
    *REFUSED_EXTENSIONS,
    "gif", "bmp", "tif", "tiff", "heic", "avif", "rtf", "zip", "gz", "tgz", "7z", "rar", "wav",
    "ogg", "flac", "aac", "mp4", "m4v", "mov", "docm", "dotx", "dotm", "xlsm", "xltx", "pptm",
    "potx", "odg", "epub", "pages", "numbers", "key",
}
# fmt: on

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
OOXML_FOLDERS = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"))
# Legacy Office files are OLE compound files; the main stream's name (UTF-16 in the
# directory) says which program wrote it.
OLE_STREAMS = (
    ("WordDocument", "doc"),
    ("PowerPoint Document", "ppt"),
    ("Workbook", "xls"),
    ("Book", "xls"),
)

# What a browser would treat as HTML (or XML/SVG, which can carry script) if it ever sniffed a
# text file: the start of such a tag anywhere in the text.
MARKUP = re.compile(
    r"<(?:!doctype|!--|\?xml|!\[cdata\[|"
    r"(?:html|head|body|script|iframe|frame|frameset|svg|math|style|title|object|embed|"
    r"applet|img|image|video|audio|source|meta|link|base|form|input|button|table|div|span|"
    r"font|h[1-6]|br|p|b|a|xsl:[a-z-]+)(?=[\s/>]))",
    re.IGNORECASE,
)
# Control characters other than tab, newline, vertical tab, form feed and carriage return.
BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

NOT_ACCEPTED = (
    "That kind of file is not accepted. You can upload PDF, Word, Excel, PowerPoint and "
    "OpenDocument files, CSV and plain text, MP3 and M4A audio, and PNG, JPEG and WebP images."
)


@dataclass(frozen=True)
class Upload:
    data: bytes
    content_type: str
    extension: str
    display_name: str
    kind: str

    @property
    def size(self) -> int:
        return len(self.data)


def _refuse(message: str) -> NoReturn:
    raise Invalid(message, field="file")


def _megabytes(size: int) -> str:
    mb = size / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{size:,} bytes"


def _suffix(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    return suffix.lower() if dot and stem else ""


def clean_display_name(filename: str, extension: str, aliases: tuple[str, ...] = ()) -> str:
    """The name to show and to offer on download: no folders, no control or bidi-override
    characters, no leading dots, at most 200 characters, ending in `extension` (or one of
    its aliases, as the member wrote it)."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        " " if unicodedata.category(c) in {"Zs", "Zl", "Zp"} or c in "\t\n\r\v\f" else c
        for c in name
        if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn"} or c in "\t\n\r\v\f"
    )
    name = re.sub(r"\s+", " ", name).strip().lstrip(". ").rstrip(". ")
    suffix = _suffix(name)
    if suffix in (extension, *aliases):
        stem, extension = name[: -len(suffix) - 1], name[-len(suffix) :]
    elif suffix in _KNOWN_EXTENSIONS:
        stem = name[: -len(suffix) - 1]
    else:
        stem = name
    stem = stem.rstrip(". ")[: MAX_DISPLAY_NAME - len(extension) - 1].rstrip(". ") or "file"
    return f"{stem}.{extension}"


def _zip_type(data: bytes) -> str:
    """docx/xlsx/pptx by their folders, odt/ods/odp by their `mimetype` member."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = [m.filename for m in members]
            mimetype = next((m for m in members if m.filename == "mimetype"), None)
            if mimetype is not None and mimetype.file_size <= 100:
                found = ODF_MIMETYPES.get(archive.read(mimetype).strip())
                if found:
                    return found
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise Invalid("That file looks damaged: it could not be read.", field="file") from exc
    except NotImplementedError as exc:  # an unsupported compression method
        raise Invalid(NOT_ACCEPTED, field="file") from exc
    if "[Content_Types].xml" in names:
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            _refuse("Documents with macros are not accepted. Please save it without macros.")
        for folder, extension in OOXML_FOLDERS:
            if any(n.startswith(folder) for n in names):
                return extension
    _refuse("ZIP archives are not accepted. Please upload the documents themselves.")


def _ole_type(data: bytes, guessed: str | None) -> str:
    if guessed in {"doc", "xls", "ppt"}:
        return guessed
    for stream, extension in OLE_STREAMS:
        if stream.encode("utf-16-le") + b"\x00\x00" in data:
            return extension
    _refuse(NOT_ACCEPTED)


def _text_type(filename: str, data: bytes) -> str:
    suffix = _suffix(filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if suffix in {"csv", "txt", "text", "md"}:
            _refuse("Text and CSV files must be saved as UTF-8.")
        _refuse(NOT_ACCEPTED)
    if BINARY_CHARACTERS.search(text):
        _refuse(NOT_ACCEPTED)
    if MARKUP.search(text):
        _refuse("That file contains web page markup (HTML, SVG or XML), which is not accepted.")
    if text.lstrip().startswith("#!"):
        _refuse("Scripts are not accepted.")
    return "csv" if suffix == "csv" else "txt"


def detect(filename: str, data: bytes) -> FileType:
    """The allowed type these bytes are, or Invalid."""
    if _suffix(filename) in REFUSED_EXTENSIONS:
        _refuse("Web pages, SVG, XML, scripts and programs are not accepted.")
    guess = filetype.guess(data)
    guessed = guess.extension if guess else None
    if data.startswith(ZIP_MAGIC):
        return TYPES[_zip_type(data)]
    if data.startswith(OLE_MAGIC):
        return TYPES[_ole_type(data, guessed)]
    if guessed in _BY_MAGIC:
        return TYPES[_BY_MAGIC[guessed]]
    if guess is not None:
        _refuse(NOT_ACCEPTED)
    return TYPES[_text_type(filename, data)]


_PILLOW_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}
_PILLOW_ERRORS = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
)


def reencode_image(data: bytes, extension: str) -> bytes:
    """Decode and encode again in the same format: metadata dropped, orientation applied."""
    expected = _PILLOW_FORMATS[extension]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                # Checked here too: the warnings filter above is process-wide, so another
                # thread may have reset it between open() and now.
                if width * height > MAX_IMAGE_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                image.load()
                icc_profile = image.info.get("icc_profile")
                transparency = image.info.get("transparency")
                # The first frame only (animation is not kept), turned upright by its EXIF
                # orientation, since the EXIF that said so is about to go.
                clean = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Invalid(
            f"That image is too large: at most {MAX_IMAGE_PIXELS // 1_000_000} megapixels.",
            field="file",
        ) from exc
    except _PILLOW_ERRORS as exc:
        raise Invalid("That image could not be read. It may be damaged.", field="file") from exc
    clean.info = {}  # nothing of the original's metadata travels with the pixels
    options: dict = {"icc_profile": icc_profile} if icc_profile else {}
    if expected == "JPEG":
        if clean.mode not in {"RGB", "L", "CMYK"}:
            clean = clean.convert("RGB")
        options.update(quality=90, optimize=True)
    elif expected == "PNG":
        if transparency is not None:
            options["transparency"] = transparency
    else:
        options.update(quality=90)
    out = io.BytesIO()
    try:
        clean.save(out, format=expected, **options)
    except (OSError, ValueError) as exc:
        raise Invalid("That image could not be read. It may be damaged.", field="file") from exc
    return out.getvalue()


def _kinds_message(kinds: set[str]) -> str:
    words = {
        "image": "images (PNG, JPEG or WebP)",
        "audio": "audio (MP3 or M4A)",
        "document": "documents (PDF, Office, OpenDocument, CSV or plain text)",
    }
    listed = [words[k] for k in ("image", "audio", "document") if k in kinds]
    return "Only " + " or ".join(listed) + " can be uploaded here."


def check_upload(
    filename: str, data: bytes, *, max_bytes: int, kinds: set[str] | None = None
) -> Upload:
    """Decide whether to take this file; an Upload ready to store, or Invalid(field="file")."""
    if not data:
        _refuse("That file is empty.")
    if len(data) > max_bytes:
        _refuse(f"That file is too large: the limit is {_megabytes(max_bytes)}.")
    kind = detect(filename or "", data)
    if kinds is not None and kind.kind not in kinds:
        _refuse(_kinds_message(kinds))
    if kind.kind == "image":
        data = reencode_image(data, kind.extension)
        if len(data) > max_bytes:
            _refuse(f"That file is too large: the limit is {_megabytes(max_bytes)}.")
    return Upload(
        data=data,
        content_type=kind.content_type,
        extension=kind.extension,
        display_name=clean_display_name(filename or "", kind.extension, kind.aliases),
        kind=kind.kind,
    )


TOO_OFTEN = "You are uploading too often. Please wait a little and try again."


def count_upload(user_id: int) -> None:
    """Count one upload of a member (a resource file, a version, an image, a picture)
    against RATE_LIMITS["upload_account"]: called by every action that stores one, before
    the work, so every path is limited. TooMany (429) when over it."""
    ratelimits.check(
        "upload_account",
        user_id,
        "You are uploading too often. Please wait a little and try again.",
    )


# --- a file held while its form is corrected -----------------------------------------------

HELD_FILE_MAX_AGE = 24 * 60 * 60


def _held_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="held-upload")


def hold(upload: Upload, owner_id: int) -> str:
    """Keep a checked file while the form it came with is corrected: stored, and named in a
    signed token (the form's hidden field) that only `owner_id` can redeem, for a day."""
    stored = storage.store(upload.data)
    return _held_serializer().dumps(
        [owner_id, stored.sha256, upload.display_name, upload.content_type,
         upload.extension, upload.kind]
    )  # fmt: skip


def held(token: str | None, owner_id: int) -> Upload | None:
    """The file a `hold` token names, for its owner; None for anyone else, or when the token
    is forged, expired or its file gone."""
    if not token:
        return None
    try:
        owner, sha256, name, content_type, extension, kind = _held_serializer().loads(
            token, max_age=HELD_FILE_MAX_AGE
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if owner != owner_id:  # only the member who uploaded it may attach it
        return None
    try:
        with storage.open(sha256) as f:
            data = f.read()
    except NotFound:
        return None
    return Upload(data=data, content_type=content_type, extension=extension,
                  display_name=name, kind=kind)  # fmt: skip
