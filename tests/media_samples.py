"""Sample files for the media tests, built byte by byte so every byte is known."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def pdf_bytes(text: str = "Hello") -> bytes:
    """A small but complete PDF: one page, a font, a content stream, a valid xref table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_bytes(width: int = 1, height: int = 1, pad: int = 0) -> bytes:
    """A valid RGB PNG; ``pad`` adds an ancillary text chunk to reach a size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    parts = [
        b"\x89PNG\r\n\x1a\n",
        chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
        chunk(b"IDAT", zlib.compress(rows)),
    ]
    if pad:
        parts.append(chunk(b"tEXt", b"Comment\x00" + b"x" * pad))
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"PE\x00\x00"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def ooxml_bytes(main: str, folder: str, *, macro: bool = False) -> bytes:
    """A minimal Office Open XML package, members in an order ``filetype`` cannot use."""
    content_type = {
        "word": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "ppt": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main"
        "+xml",
        "xl": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    }[folder]
    if macro:
        content_type = "application/vnd.ms-word.document.macroEnabled.main+xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("docProps/app.xml", "<Properties/>" * 500)  # push the rest past 8 KB
        archive.writestr(f"{folder}/{main}", "<document/>")
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'content-types"><Override PartName="/{folder}/{main}" ContentType="{content_type}"'
            "/></Types>",
        )
        archive.writestr("_rels/.rels", "<Relationships/>")
        if macro:
            archive.writestr(f"{folder}/vbaProject.bin", b"\x00" * 64)
    return buffer.getvalue()


def odf_bytes(mime: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mime)  # stored, first, as ODF requires
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def cfb_bytes(*entries: tuple[str, int]) -> bytes:
    """A compound file (OLE2, version 3) holding ``(name, type)`` entries under the root:
    type 2 is a stream (4 KB of zeros, the first one), 1 a storage."""
    free, end, fat_sector, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    data_sectors = 8  # 4096 bytes: at the mini-stream cutoff, so it lives in regular sectors
    fat = [fat_sector, end] + list(range(3, 2 + data_sectors)) + [end]
    fat += [free] * (128 - len(fat))
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        raw[0 : len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, nostream, right, child)
        struct.pack_into("<IQ", raw, 116, start, size)
        return bytes(raw)

    directory = [entry("Root Entry", 5, nostream, 1 if entries else nostream, end, 0)]
    for index, (name, kind) in enumerate(entries, start=1):
        right = index + 1 if index < len(entries) else nostream
        start, size = (2, 4096) if index == 1 and kind == 2 else (end if kind == 2 else 0, 0)
        directory.append(entry(name, kind, right, nostream, start, size))
    directory += [entry("", 0, nostream, nostream, 0, 0)] * (4 - len(directory))
    fat_bytes = struct.pack("<128I", *fat)
    return bytes(header) + fat_bytes + b"".join(directory) + b"\x00" * (512 * data_sectors)
