#!/usr/bin/env python3
"""Whether a chart of kvmexitstat plot can be trusted at a glance.

Usage: svg_check.py NAME FILE.svg...   (TAP lines: tapcheck.py)

For each file:
- rendered to PNG (rsvg-convert), the picture has nothing drawn in its outer
  2 pixels: no text or line runs off it;
- each text element fits the canvas by the width estimate the chart's font is
  drawn with (0.62 em a character, 0.70 in bold: src/sinks/plot.c);
- each series is drawn with a stroke (colour and dash pattern) no other
  series has;
- no point's rate was computed over an interval shorter than a tenth of the
  recording's interval (the median of the chart's interval lengths)."""
import os
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tapcheck import check, done  # noqa: E402

NS = "{http://www.w3.org/2000/svg}"


def png_pixels(path):
    """(width, height, rows of (r, g, b, a) tuples) of an 8-bit RGBA or RGB PNG."""
    data = open(path, "rb").read()
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), "an 8-bit RGB(A) PNG"
            bpp = 4 if color == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + bpp]) + ((255,) if bpp == 3 else ()) for i in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def text_extent(t, style):
    """x from and to of a text element, by the chart's width estimate."""
    cls = t.get("class", "")
    px = {"title": 19, "subtitle": 12, "tick": 11, "label": 13, "legend": 12}.get(cls, 12)
    width = len(t.text or "") * px * (0.70 if cls == "title" else 0.62)
    x = float(t.get("x", 0))
    anchor = t.get("text-anchor", "start")
    left = x - width if anchor == "end" else x - width / 2 if anchor == "middle" else x
    return left, left + width


def one(name, path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        check(f"{name}: parses as SVG", False, str(e))
        return
    W, H = float(root.get("width")), float(root.get("height"))
    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        r = subprocess.run(["rsvg-convert", "-b", "white", "-o", png.name, path], capture_output=True, text=True)
        check(f"{name}: renders to PNG", r.returncode == 0, r.stderr)
        if r.returncode == 0:
            w, h, px = png_pixels(png.name)
            edge = [(x, y) for y in range(h) for x in range(w)
                    if (x < 2 or y < 2 or x >= w - 2 or y >= h - 2) and px[y][x][:3] != (255, 255, 255)]
            check(f"{name}: nothing drawn at the picture's edges ({w}x{h} PNG)", not edge, f"at {edge[:5]}")
    over = []
    for t in root.iter(NS + "text"):
        if t.get("transform"):
            continue  # (the rotated y label: its height is checked by the PNG)
        a, b = text_extent(t, None)
        if a < 0 or b > W:
            over.append(f"'{t.text}' spans {a:.0f}..{b:.0f} of {W:.0f}")
    check(f"{name}: every text fits the canvas", not over, "; ".join(over))
    styles = {}
    for g in root.iter(NS + "g"):
        if g.get("class") == "series":
            styles.setdefault((g.get("stroke"), g.get("stroke-dasharray")), []).append(g.get("data-name"))
    shared = [v for v in styles.values() if len(v) > 1]
    check(f"{name}: each of its {sum(map(len, styles.values()))} series has a style of its own", styles and not shared,
          f"shared: {shared}")
    meta = [m for m in root.iter(NS + "metadata") if m.get("class") == "interval-seconds"]
    secs = [float(v) for v in meta[0].text.split()] if meta and meta[0].text else []
    if secs:
        med = sorted(secs)[len(secs) // 2]
        short = [s for s in secs if s < med / 10]
        check(f"{name}: no rate drawn from an interval under a tenth of the recording's ({med:g} s)", not short,
              f"{len(short)} intervals, the shortest {min(secs):g} s")
    else:
        check(f"{name}: the chart says what each point's interval was", False, "no interval-seconds metadata")


for i in range(2, len(sys.argv)):
    one(f"{sys.argv[1]} {os.path.basename(sys.argv[i])}", sys.argv[i])
done()
