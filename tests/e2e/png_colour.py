#!/usr/bin/env python3
"""Counts the pixels of one RGB colour in a PNG (8-bit RGB or RGBA, not interlaced).
usage: png_colour.py FILE RRGGBB  -> prints the count. Used to check that a screenshot of
the HTML report shows the timeline bars. With `ink` instead of a colour: the pixels that
are not near-white (a page with text on it)."""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, "unsupported PNG"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return rows, bpp


def main():
    rows, bpp = pixels(sys.argv[1])
    if sys.argv[2] == "ink":
        count = sum(1 for row in rows for i in range(0, len(row), bpp) if min(row[i:i + 3]) < 200)
    else:
        want = bytes.fromhex(sys.argv[2])
        count = sum(1 for row in rows for i in range(0, len(row), bpp) if row[i:i + 3] == want)
    print(count)


if __name__ == "__main__":
    main()
