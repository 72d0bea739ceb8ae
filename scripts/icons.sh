#!/usr/bin/env bash
# Renders the app icon's PNGs for the freedesktop hicolor theme from the hand-written SVGs
# in assets/: 16 and 24 px from icon-16.svg and icon-24.svg (the same picture redrawn on
# those pixel grids), every other size from icon.svg. The PNGs are committed, so building
# or packaging needs no SVG tool; run this again after changing an SVG.
# Uses librsvg's rsvg-convert (Debian: librsvg2-bin, installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v rsvg-convert >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq librsvg2-bin
fi

out=assets/icons/hicolor
for size in 16 24 32 48 64 128 256 512; do
    src=assets/icon.svg
    [ -f "assets/icon-$size.svg" ] && src="assets/icon-$size.svg"
    mkdir -p "$out/${size}x${size}/apps"
    rsvg-convert --width "$size" --height "$size" --keep-aspect-ratio \
        --output "$out/${size}x${size}/apps/secure-photo-gallery.png" "$src"
    echo "$out/${size}x${size}/apps/secure-photo-gallery.png (from $src)"
done
