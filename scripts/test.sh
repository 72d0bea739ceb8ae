#!/usr/bin/env bash
# Runs the whole test suite. On a fresh Debian machine it first installs what the tests
# need (as root, or with sudo): Python's aiosmtpd and cryptography, for the real SMTP
# server that tests/smtp.rs starts; Mesa's software Vulkan (lavapipe), on which the
# headless UI tests (egui_kittest) render their snapshots; desktop-file-utils and
# appstream, which validate the desktop entry and the AppStream metainfo; and, in a Python
# virtual environment under target/test-tools, moto's S3 server (from PyPI) with boto3, the
# real S3 server and the independent S3 client that tests/backup.rs starts.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
/usr/bin/python3 -c 'import aiosmtpd, cryptography' 2>/dev/null || need_pkgs+=(python3 python3-aiosmtpd python3-cryptography)
for pkg in mesa-vulkan-drivers libvulkan1 libxkbcommon-x11-0 desktop-file-utils appstream python3-venv; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}"
fi

# The S3 server for the backup tests (about 80 s and 300 MB the first time).
s3_venv=target/test-tools/s3-venv
if ! "$s3_venv/bin/python3" -c 'import moto.server, boto3' 2>/dev/null; then
    rm -rf "$s3_venv"
    /usr/bin/python3 -m venv "$s3_venv"
    "$s3_venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
fi

# The headless renderer looks for a runtime folder; give it a private one if none is set.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    XDG_RUNTIME_DIR=$(mktemp -d)
    export XDG_RUNTIME_DIR
fi
# Style and lints first: they take seconds once the dependencies are built, and fail fast.
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings
# The registered vaults the tests copy (tests/common) are kept for a run; drop the last run's.
rm -rf target/tmp/templates
cargo test --locked --workspace "$@"
# The desktop entry, metainfo and icons (tests/desktop/check.sh --build also checks the .deb).
bash tests/desktop/check.sh
