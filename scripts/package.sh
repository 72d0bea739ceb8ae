#!/usr/bin/env bash
# Builds the Debian package with cargo-deb: a release build, then
# target/debian/secure-photo-gallery_<version>-1_<arch>.deb holding the binary
# (/usr/bin), the desktop entry (/usr/share/applications), the AppStream metainfo
# (/usr/share/metainfo) and the icons (/usr/share/icons/hicolor), as listed under
# [package.metadata.deb] in Cargo.toml. Installs cargo-deb (from crates.io) when missing,
# and dpkg-dev, whose dpkg-shlibdeps works out the package's library dependencies.
# Extra arguments go to cargo-deb (e.g. --fast for quicker compression, -o DIR).
# Install the result with: sudo apt install ./target/debian/secure-photo-gallery_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dpkg-shlibdeps >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dpkg-dev
fi
if ! cargo deb --version >/dev/null 2>&1; then
    cargo install --locked cargo-deb
fi

# The PNGs are committed (scripts/icons.sh makes them); a missing one fails here, not in apt.
for size in 16 24 32 48 64 128 256 512; do
    png="assets/icons/hicolor/${size}x${size}/apps/secure-photo-gallery.png"
    [ -f "$png" ] || { echo "missing $png: run scripts/icons.sh" >&2; exit 1; }
done

# cargo-deb prints the .deb's path last.
cargo deb --locked "$@"
