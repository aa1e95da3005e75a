"""Pure checks on uploaded bytes: what the magic bytes say, and images re-encoded without metadata."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

# Decompression bombs: refuse images larger than this many pixels (Pillow raises past it).
Image.MAX_IMAGE_PIXELS = 40_000_000

IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "application/pdf": "pdf"}


class ImageRejected(Exception):
    pass


def sniff_content_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def reencode_image(data: bytes, *, content_type: str) -> bytes:
    """Decode and encode again from pixels only: EXIF (GPS included), text chunks and trailing bytes are gone.

    The EXIF orientation is applied to the pixels first, so stripping it does not turn photos sideways.
    """
    fmt = IMAGE_FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format != fmt:
                raise ImageRejected(f"decoded as {image.format}, declared {fmt}")
            image.load()
            upright = ImageOps.exif_transpose(image)
            target_mode = (
                "RGB" if fmt == "JPEG" else ("RGBA" if upright.mode not in {"RGB", "RGBA", "L"} else upright.mode)
            )
            pixels = upright.convert(target_mode)
            clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageRejected(str(exc)) from exc
    out = io.BytesIO()
    options = {"quality": 90} if fmt in {"JPEG", "WEBP"} else {"optimize": True}
    clean.save(out, format=fmt, **options)
    return out.getvalue()
