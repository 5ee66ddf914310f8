"""A photo sent with a report on the website: checked and stripped before it is stored.

Only the types, bytes and pixels of ``reports.yml`` (``photo``) are taken. The header is
read first (Pillow opens lazily), so an image that claims too many pixels is refused
before it is decoded (a decompression bomb). The stored image is re-encoded from its
pixels alone: EXIF (camera, time, GPS position), XMP, ICC profiles and PNG text chunks
are not carried over; the EXIF orientation is applied first, so the photo still stands
upright.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.knowledge.reports import ReportSettings

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


class PhotoRejected(ValueError):
    """The upload is not a photo the city takes; the message is German, for the citizen."""


@dataclass(frozen=True)
class CleanPhoto:
    """The re-encoded photo without metadata."""

    data: bytes
    content_type: str
    size: tuple[int, int]


def clean(data: bytes, settings: ReportSettings) -> CleanPhoto:
    """Checks the upload against the limits and returns it without metadata.

    Raises:
        PhotoRejected: too large, too many pixels, not JPEG/PNG, or not an image at all.
    """
    if not data:
        raise PhotoRejected("Die Datei ist leer.")
    if len(data) > settings.photo_max_bytes:
        mb = settings.photo_max_bytes / 1_000_000
        raise PhotoRejected(f"Das Foto ist zu groß (höchstens {mb:g} MB).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            content_type = FORMATS.get(image.format or "")
            if content_type is None or content_type not in settings.photo_types:
                raise PhotoRejected("Bitte senden Sie ein Foto im Format JPEG oder PNG.")
            width, height = image.size
            if width * height > settings.photo_max_pixels:
                raise PhotoRejected("Das Foto hat zu viele Bildpunkte; bitte verkleinern Sie es.")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, Warning) as exc:
        raise PhotoRejected("Die Datei ist kein lesbares Foto.") from exc
    return _reencode(upright, content_type)


def _reencode(image: Image.Image, content_type: str) -> CleanPhoto:
    """The pixels alone in a new image (empty ``info``: no EXIF, ICC profile or text)."""
    out = io.BytesIO()
    if content_type == "image/jpeg":
        pixels = image.convert("RGB")
    else:
        pixels = image.convert(image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else "RGBA")
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    if content_type == "image/jpeg":
        bare.save(out, format="JPEG", quality=88)
    else:
        bare.save(out, format="PNG")
    return CleanPhoto(out.getvalue(), content_type, bare.size)
