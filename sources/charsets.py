"""Media types, charsets and binary sniffing for fetched bodies (used by sources/fetching.py).

Charset precedence follows what browsers do (WHATWG encoding sniffing): a byte-order mark, then the
Content-Type header, then a <meta> or XML declaration in the first few KB, then UTF-8 if the bytes
are valid UTF-8, then statistical detection (charset_normalizer). Decoding never raises:
undecodable bytes become U+FFFD.
"""

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""", re.I)
_BINARY_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",  # JPEG
    b"%PDF-",
    b"PK\x03\x04",  # zip, docx, epub
    b"\x1f\x8b",  # gzip: a body compressed twice, or an archive
    b"\x7fELF",
)
_SNIFF_BYTES = 4096
# Detection reads a sample; the whole 5 MB body would cost seconds for no better answer.
_DETECT_BYTES = 200_000


def media_type_and_charset(header: str) -> tuple[str, str | None]:
    """("text/html", "utf-8") from 'text/html; charset="UTF-8"'; ("", None) when absent."""
    media_type, *params = header.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media_type.strip().lower(), charset


def sniff_media_type(body: bytes) -> str:
    """A media type for a body served without a Content-Type header."""
    head = body[:_SNIFF_BYTES].lstrip().lower()
    if head.startswith(b"<?xml"):
        return "application/xml"
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return "text/html"
    return "text/plain"


def _bom(body: bytes) -> tuple[bytes, str] | tuple[None, None]:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return bom, name
    return None, None


def looks_binary(body: bytes, declared_charset: str | None) -> bool:
    """True for bodies that are clearly not text (images, archives, NUL bytes)."""
    head = body[:_SNIFF_BYTES]
    if head.startswith(_BINARY_MAGIC):
        return True
    wide = _bom(body)[1] or _codec_name(declared_charset) or ""
    # UTF-16/32 text is full of NUL bytes; anything else with NULs is binary.
    return b"\x00" in head and not wide.startswith(("utf-16", "utf-32"))


def _codec_name(label: str | None) -> str | None:
    """Python's codec for a charset label, or None when the label is unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    # Browsers read latin-1 and ASCII labels as windows-1252, and so do the pages that use them:
    # their curly quotes and dashes sit in 0x80-0x9F, which latin-1 maps to control characters.
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _declared_in_markup(body: bytes, media_type: str) -> str | None:
    head = body[:_SNIFF_BYTES]
    match = _XML_ENCODING.match(head) if "xml" in media_type else None
    match = match or _META_CHARSET.search(head)
    if not match:
        return None
    name = _codec_name(match.group(1).decode("ascii"))
    # A page that could be read to find an ASCII <meta> cannot really be UTF-16 (WHATWG rule).
    return "utf-8" if name and name.startswith(("utf-16", "utf-32")) else name


def decode_body(body: bytes, media_type: str, header_charset: str | None) -> tuple[str, str | None]:
    """Decode `body` to text; return the text and the codec used (None for an empty body)."""
    bom, bom_codec = _bom(body)
    codec = bom_codec or _codec_name(header_charset) or _declared_in_markup(body, media_type)
    if codec is None:
        if not body:
            return "", None
        try:
            # Legacy-encoded text almost never happens to be valid UTF-8, so this answer is safe,
            # and it spares detection, which can misjudge short UTF-8 pages.
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            best = from_bytes(body[:_DETECT_BYTES]).best()
            codec = _codec_name(best.encoding if best else None) or "utf-8"
    if bom is not None:
        body = body[len(bom) :]  # the mark is not part of the text
    return body.decode(codec, errors="replace"), codec
