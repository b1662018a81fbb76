"""The installable app's icons, drawn from the favicon's mark (alliance/static/img/favicon.svg).

Writes alliance/static/pwa/: icon.svg, icon-192.png, icon-512.png, icon-maskable-512.png and
apple-touch-icon.png. PNGs are written with the standard library only (zlib + struct; the
project has no image library), anti-aliased by each pixel's distance to a shape's edge.

Run `.venv/bin/python scripts/make_icons.py` after changing the favicon and commit the result.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
FAVICON = ROOT / "alliance" / "static" / "img" / "favicon.svg"
CSS = ROOT / "alliance" / "static" / "css" / "alliance.css"
OUT = ROOT / "alliance" / "static" / "pwa"
SVG_NS = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    rgb: tuple[int, int, int]
    opacity: float


@dataclass(frozen=True)
class Icon:
    name: str
    size: int
    # The mark's scale against the favicon's own box: a maskable icon keeps it inside the
    # safe zone (a centred circle of 40% of the size), which launchers never crop.
    scale: float
    # Corner radius as a share of the size; 0 fills the square (maskable, Apple: opaque).
    corner: float


ICONS = [
    Icon("icon-192.png", 192, 0.9, 0.18),
    Icon("icon-512.png", 512, 0.9, 0.18),
    Icon("icon-maskable-512.png", 512, 0.85, 0.0),
    Icon("apple-touch-icon.png", 180, 0.8, 0.0),
]


def hex_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def background() -> tuple[int, int, int]:
    """The page background (`--bg` in alliance.css), so the splash screen matches the site."""
    found = re.search(r"--bg:\s*(#[0-9a-fA-F]{3,6})", CSS.read_text())
    if not found:
        raise SystemExit(f"no --bg colour in {CSS}")
    return hex_rgb(found.group(1))


def read_mark() -> tuple[float, list[Circle]]:
    """The favicon's view box width and its circles, in drawing order."""
    # Our own file from the repository: trusted input.
    root = ElementTree.parse(FAVICON).getroot()  # noqa: S314
    width = float(root.attrib["viewBox"].split()[2])
    circles = [
        Circle(
            float(c.attrib["cx"]),
            float(c.attrib["cy"]),
            float(c.attrib["r"]),
            hex_rgb(c.attrib["fill"]),
            float(c.attrib.get("fill-opacity", "1")),
        )
        for c in root.iter(f"{SVG_NS}circle")
    ]
    if not circles:
        raise SystemExit(f"no circles in {FAVICON}")
    return width, circles


def placed(circles: list[Circle], box: float, icon: Icon) -> list[Circle]:
    """The circles in the icon's pixels, centred and scaled."""
    k = icon.size * icon.scale / box
    middle = box / 2
    return [
        Circle(
            icon.size / 2 + (c.cx - middle) * k,
            icon.size / 2 + (c.cy - middle) * k,
            c.r * k,
            c.rgb,
            c.opacity,
        )
        for c in circles
    ]


def coverage(distance_inside: float) -> float:
    """How much of a pixel a shape covers, from the signed distance of its centre to the edge."""
    return min(1.0, max(0.0, distance_inside + 0.5))


def square_coverage(x: float, y: float, size: int, radius: float) -> float:
    if radius <= 0:
        return 1.0
    # Distance into the rounded square: only the corners are curved.
    cx = min(max(x, radius), size - radius)
    cy = min(max(y, radius), size - radius)
    return coverage(radius - ((x - cx) ** 2 + (y - cy) ** 2) ** 0.5)


def draw(icon: Icon, circles: list[Circle], bg: tuple[int, int, int]) -> bytes:
    """RGBA rows, each prefixed by PNG filter type 0."""
    radius = icon.corner * icon.size
    rows = bytearray()
    for py in range(icon.size):
        rows.append(0)
        y = py + 0.5
        for px in range(icon.size):
            x = px + 0.5
            alpha = square_coverage(x, y, icon.size, radius)
            r, g, b = (float(v) for v in bg)
            for c in circles:
                a = c.opacity * coverage(c.r - ((x - c.cx) ** 2 + (y - c.cy) ** 2) ** 0.5)
                if a:
                    r += (c.rgb[0] - r) * a
                    g += (c.rgb[1] - g) * a
                    b += (c.rgb[2] - b) * a
            rows += bytes((round(r), round(g), round(b), round(alpha * 255)))
    return bytes(rows)


def png(width: int, height: int, rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def svg(circles: list[Circle], bg: tuple[int, int, int], box: float) -> str:
    """The scalable icon: the mark on the rounded background, as the PNGs draw it."""
    icon = Icon("icon.svg", 512, 0.9, 0.18)
    shapes = "".join(
        f'<circle cx="{c.cx:g}" cy="{c.cy:g}" r="{c.r:g}" fill="#{bytes(c.rgb).hex()}"'
        + (f' fill-opacity="{c.opacity:g}"' if c.opacity < 1 else "")
        + "/>"
        for c in placed(circles, box, icon)
    )
    corner = icon.corner * icon.size
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">'
        f'<rect width="512" height="512" rx="{corner:g}" fill="#{bytes(bg).hex()}"/>'
        f"{shapes}</svg>\n"
    )


def main() -> None:
    box, circles = read_mark()
    bg = background()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon.svg").write_text(svg(circles, bg, box))
    for icon in ICONS:
        rows = draw(icon, placed(circles, box, icon), bg)
        (OUT / icon.name).write_bytes(png(icon.size, icon.size, rows))
        print(f"wrote {OUT / icon.name}")
    print(f"wrote {OUT / 'icon.svg'}")


if __name__ == "__main__":
    main()
