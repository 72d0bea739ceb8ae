#!/usr/bin/env bash
# Runs the whole test suite. On a fresh Debian machine it first installs what the tests
# need (as root, or with sudo): nothing beyond the Rust toolchain for now.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
if [ ${#need_pkgs[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}"
fi

cargo test --locked "$@"
