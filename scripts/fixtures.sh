#!/usr/bin/env bash
# Makes the small HEIC, AVIF and TIFF files of tests/fixtures with the usual tools (libheif's
# heif-enc, libavif's avifenc, libtiff's tiffcp and tiffset, ImageMagick, exiftool): Debian's
# libheif-examples, libavif-bin, libtiff-tools, imagemagick and libimage-exiftool-perl. The
# files are committed, so the tests need none of these tools; run this again only to change
# them.
#
# Each picture is 96x64: blue, a red block at the top left and a green one at the bottom
# right, so a test can tell which way up it came out.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/heif
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

convert -size 96x64 xc:'#2060c0' -fill '#e03020' -draw 'rectangle 0,0 47,31' \
    -fill '#30c040' -draw 'rectangle 48,32 95,63' "$work/base.png"
convert "$work/base.png" -quality 95 "$work/camera.jpg"
exiftool -q -overwrite_original -Make=Apple '-Model=iPhone 15 Pro' \
    '-DateTimeOriginal=2024:07:14 10:11:12' '-OffsetTimeOriginal=+02:00' \
    -GPSLatitude=48.8584 -GPSLatitudeRef=N -GPSLongitude=2.2945 -GPSLongitudeRef=E "$work/camera.jpg"

# A phone photo: EXIF with date, camera and position.
heif-enc -q 85 "$work/camera.jpg" -o "$out/camera.heic"
# The same picture turned a quarter by the container (`irot`), as phones store a portrait
# photo: heif-enc cannot write one, so it is put in by hand below.
python3 - "$out/camera.heic" "$out/turned.heic" <<'EOF'
import struct, sys

data = open(sys.argv[1], "rb").read()

def boxes(b, start=0, end=None):
    end = len(b) if end is None else end
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", b[at:at + 8])
        yield kind, at, size
        at += size

def find(b, kind, start, end):
    return next((at, size) for k, at, size in boxes(b, start, end) if k == kind)

meta_at, meta_size = find(data, b"meta", 0, None)
iprp_at, iprp_size = find(data, b"iprp", meta_at + 12, meta_at + meta_size)
ipco_at, ipco_size = find(data, b"ipco", iprp_at + 8, iprp_at + iprp_size)
ipma_at, ipma_size = find(data, b"ipma", ipco_at + ipco_size, iprp_at + iprp_size)
properties = sum(1 for _ in boxes(data, ipco_at + 8, ipco_at + ipco_size))
irot = struct.pack(">I4sB", 9, b"irot", 1)  # angle 1: a quarter turn anticlockwise
# ipma (version 0, flags 0): entry_count, then per item: id (16 bits), count, 7-bit indices.
version_flags = data[ipma_at + 8:ipma_at + 12]
assert version_flags == b"\0\0\0\0", "ipma version 0 with 7-bit indices expected"
(entries,) = struct.unpack(">I", data[ipma_at + 12:ipma_at + 16])
at, items = ipma_at + 16, []
for _ in range(entries):
    item, count = struct.unpack(">HB", data[at:at + 3])
    items.append((item, list(data[at + 3:at + 3 + count])))
    at += 3 + count
primary = items[0][0]
items = [(i, p + [0x80 | (properties + 1)] if i == primary else p) for i, p in items]
ipma_body = version_flags + struct.pack(">I", len(items)) + b"".join(
    struct.pack(">HB", i, len(p)) + bytes(p) for i, p in items)
ipma = struct.pack(">I4s", 8 + len(ipma_body), b"ipma") + ipma_body
ipco = struct.pack(">I4s", ipco_size + len(irot), b"ipco") + data[ipco_at + 8:ipco_at + ipco_size] + irot
iprp_rest = data[ipco_at + ipco_size:iprp_at + iprp_size].replace(data[ipma_at:ipma_at + ipma_size], ipma)
iprp_body = data[iprp_at + 8:ipco_at] + ipco + iprp_rest
iprp = struct.pack(">I4s", 8 + len(iprp_body), b"iprp") + iprp_body
grown = len(iprp) - iprp_size
meta_body = data[meta_at + 8:iprp_at] + iprp + data[iprp_at + iprp_size:meta_at + meta_size]
# iloc's offsets into the file move by as much as meta grew (the data comes after it).
iloc_at, iloc_size = find(data, b"iloc", meta_at + 12, meta_at + meta_size)
iloc_in_body = iloc_at - (meta_at + 8)
iloc = bytearray(meta_body[iloc_in_body:iloc_in_body + iloc_size])
version = iloc[8]
offset_size, length_size, base_size = iloc[12] >> 4, iloc[12] & 15, iloc[13] >> 4
index_size = iloc[13] & 15 if version in (1, 2) else 0
assert version in (0, 1) and offset_size == 4 and base_size in (0, 4), "a plain iloc expected"
count_at = 14
(count,) = struct.unpack(">H", iloc[count_at:count_at + 2])
at = count_at + 2
for _ in range(count):
    at += 2  # item id
    construction = 0
    if version == 1:
        construction = iloc[at + 1] & 15
        at += 2
    at += 2  # data reference index
    base = None
    if base_size == 4:
        (base,) = struct.unpack(">I", iloc[at:at + 4])
        if construction == 0 and base:
            iloc[at:at + 4] = struct.pack(">I", base + grown)
        at += 4
    (extents,) = struct.unpack(">H", iloc[at:at + 2])
    at += 2
    for _ in range(extents):
        at += index_size
        (offset,) = struct.unpack(">I", iloc[at:at + 4])
        if construction == 0 and not base:
            iloc[at:at + 4] = struct.pack(">I", offset + grown)
        at += offset_size + length_size
meta_body = meta_body[:iloc_in_body] + bytes(iloc) + meta_body[iloc_in_body + iloc_size:]
meta = struct.pack(">I4s", 8 + len(meta_body), b"meta") + meta_body
open(sys.argv[2], "wb").write(data[:meta_at] + meta + data[meta_at + meta_size:])
EOF
# Transparency: an alpha plane beside the colour.
convert "$work/base.png" -alpha set -channel A -fx 'i < w/2 ? 1 : 0.25' "PNG32:$work/alpha.png"
heif-enc -q 85 "$work/alpha.png" -o "$out/alpha.heic"
# A camera AVIF with EXIF.
avifenc --min 10 --max 30 "$work/camera.jpg" "$out/camera.avif" >/dev/null
# 10 bits, 4:2:0, turned a quarter anticlockwise and then top and bottom exchanged by the
# container (`irot` 1, `imir` mode 0): upright, the red block is at the top left.
avifenc -d 10 -y 420 --min 10 --max 30 --irot 1 --imir 0 "$work/base.png" "$out/turned.avif" >/dev/null
heif-info "$out/turned.heic" >/dev/null

# TIFFs as scanners and fax software write them, from the same picture.
tiffs=tests/fixtures/tiff
mkdir -p "$tiffs"
convert "$work/base.png" -type TrueColor -depth 8 -compress none "$work/rgb.tif"
# JPEG-compressed YCbCr, what most scanners write for colour (RowsPerStrip a multiple of 16).
tiffcp -c jpeg:90 -r 16 "$work/rgb.tif" "$tiffs/jpeg.tif"
# BigTIFF (64-bit offsets).
tiffcp -8 "$work/rgb.tif" "$tiffs/bigtiff.tif"
# LZMA, which this build does not decode: stored with a plain tile.
tiffcp -c lzma "$work/rgb.tif" "$tiffs/lzma.tif"
# A fax page (CCITT G4, 1 bit: white, the top-left block black) turned by its orientation
# tag: 8, a quarter anticlockwise.
convert -size 96x64 xc:white -fill black -draw 'rectangle 0,0 47,31' -depth 1 -type bilevel \
    -compress none "$work/bilevel.tif"
tiffcp -c g4 "$work/bilevel.tif" "$tiffs/fax-g4-turned.tif"
tiffset -s 274 8 "$tiffs/fax-g4-turned.tif"
# The same page as most fax software writes it: CCITT G3, one-dimensional, strips of 16
# rows, end-of-line codes byte-aligned; and two-dimensional G3 (not decoded: a tile).
tiffcp -c g3:fill -r 16 "$work/bilevel.tif" "$tiffs/fax-g3.tif"
tiffcp -c g3:2d "$work/bilevel.tif" "$tiffs/fax-g3-2d.tif"
ls -l "$out" "$tiffs"
