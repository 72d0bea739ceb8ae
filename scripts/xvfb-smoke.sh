#!/usr/bin/env bash
# Opens the real window under Xvfb as a user would: a vault with one account and some
# photos, the app started on it, the user name typed, Tab, the password, Enter; then a
# screenshot of the gallery; checks the window's icon on the way (xprop). Needs: xvfb
# xdotool x11-utils imagemagick mesa-vulkan-drivers
# libxkbcommon-x11-0 (Debian). Usage: scripts/xvfb-smoke.sh [PHOTO_DIR] [SCREENSHOT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/window.sh
photos=${1:-../shared/testdata/images/orientation}
shot=${2:-target/xvfb-gallery.png}
cargo build --quiet
bin=target/debug/secure-photo-gallery
work=$(mktemp -d)
app="" xvfb=""
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
export SPG_VAULT=$work/vault.redb SPG_PASSWORD='correct horse battery staple'
$bin register --user alice --email alice@example.com >/dev/null 2>&1
$bin import --user alice "$photos" >/dev/null 2>&1 || true
unset SPG_PASSWORD
export XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
start_window :77 "$bin" "$SPG_VAULT" "$work/app.log"
# The window carries the app's icon (what task bars and window switchers show).
icon=$(xprop -id "$win" -f _NET_WM_ICON 32c _NET_WM_ICON)
icon=${icon:0:60}
case "$icon" in
    *"= 256, 256,"*) echo "window icon: 256x256 (_NET_WM_ICON)" ;;
    *) echo "the window has no 256x256 icon: $icon" >&2; exit 1 ;;
esac
type_login alice 'correct horse battery staple'
sleep 8
import -window root "$shot"
echo "window $(xdotool getwindowname "$win"); screenshot: $shot"
