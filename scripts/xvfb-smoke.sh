#!/usr/bin/env bash
# Opens the real window under Xvfb as a user would: a vault with one account and some
# photos, the app started on it, the user name typed, Tab, the password, Enter; then a
# screenshot of the gallery. Needs: xvfb xdotool imagemagick mesa-vulkan-drivers
# libxkbcommon-x11-0 (Debian). Usage: scripts/xvfb-smoke.sh [PHOTO_DIR] [SCREENSHOT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
photos=${1:-../shared/testdata/images/orientation}
shot=${2:-target/xvfb-gallery.png}
cargo build --quiet
bin=target/debug/secure-photo-gallery
work=$(mktemp -d)
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
export SPG_VAULT=$work/vault.redb SPG_PASSWORD='correct horse battery staple'
$bin register --user alice --email alice@example.com >/dev/null 2>&1
$bin import --user alice "$photos" >/dev/null 2>&1 || true
unset SPG_PASSWORD
export DISPLAY=:77 XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
Xvfb $DISPLAY -screen 0 1280x800x24 >/dev/null 2>&1 & xvfb=$!
sleep 1
$bin --vault "$SPG_VAULT" > "$work/app.log" 2>&1 & app=$!
win=""
for _ in $(seq 1 60); do
    win=$(xdotool search --name "Secure Photo Gallery" 2>/dev/null | head -1 || true)
    [ -n "$win" ] && break
    sleep 0.5
done
[ -n "$win" ] || { echo "no window appeared"; cat "$work/app.log"; exit 1; }
sleep 2
xdotool windowfocus --sync "$win" 2>/dev/null || true
xdotool key --window "$win" ctrl+a
xdotool type --delay 40 alice
sleep 0.3; xdotool key Tab; sleep 0.3
xdotool type --delay 40 'correct horse battery staple'
xdotool key Return
sleep 8
import -window root "$shot"
echo "window $(xdotool getwindowname "$win"); screenshot: $shot"
