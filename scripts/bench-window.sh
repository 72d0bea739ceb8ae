#!/usr/bin/env bash
# The real app's resident memory in a real window (Xvfb, Mesa's software renderer) with a
# vault of many photos: imports PHOTOS distinct 1024x768 JPEGs (512-pixel thumbnails, as
# a camera photo gets) through the command line, starts the release binary, logs in by
# typing, scrolls the whole grid down and back with the mouse wheel, and samples the
# process's VmRSS the whole time. Prints resident memory after login, the peak while
# scrolling, and at the end. Target (issue 6): under 300 MB.
# Needs (Debian): xvfb xdotool libvips-tools mesa-vulkan-drivers libxkbcommon-x11-0.
# Usage: scripts/bench-window.sh [PHOTOS] (default 10000; the vault is cached in target/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/window.sh
photos=${1:-10000}
missing=()
for tool in Xvfb:xvfb xdotool:xdotool vipsthumbnail:libvips-tools; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" mesa-vulkan-drivers libxkbcommon-x11-0 >/dev/null
fi
cargo build --release --locked --quiet
bin=$PWD/target/release/secure-photo-gallery
export SPG_PASSWORD="bench password that is long enough"

# A vault of PHOTOS photos: one 1024x768 picture (noise), written PHOTOS times with a
# different trailer after its end-of-image marker (so no two files are duplicates),
# imported in one run. Built once, kept in target/bench-window/.
work=target/bench-window/$photos
vault=$work/vault.redb
if [ ! -e "$work/.done" ]; then
    rm -rf "$work" && mkdir -p "$work/files"
    vips gaussnoise "$work/n.v" 1024 768 --mean 128 --sigma 40
    vips cast "$work/n.v" "$work/u.v" uchar
    vips bandjoin "$work/u.v $work/u.v $work/u.v" "$work/base.jpg[Q=85]"
    for i in $(seq -w 1 "$photos"); do
        { cat "$work/base.jpg"; printf 'trailer %s' "$i"; } > "$work/files/IMG_$i.jpg"
    done
    "$bin" --vault "$vault" register --user bench --email bench@example.com >/dev/null 2>&1
    echo "importing $photos photos..."
    "$bin" --vault "$vault" import --user bench "$work/files" >/dev/null
    rm -rf "$work/files"
    touch "$work/.done"
fi
unset SPG_PASSWORD

tmp=$(mktemp -d)
app="" xvfb=""
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data
start_window :78 "$bin" "$vault" "$tmp/app.log"
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$app/status"; }
before=$(rss)
type_login bench "bench password that is long enough"
sleep 8
after_login=$(rss)
# Down and back up, five wheel notches at a time, 20 times a second, sampling memory.
xdotool mousemove --window "$win" 640 420
peak=$after_login
notches=$((photos / 3))
for direction in 5 4; do
    for _ in $(seq 1 $((notches / 5))); do
        xdotool click --repeat 5 --delay 10 "$direction"
        now=$(rss)
        [ "$now" -gt "$peak" ] && peak=$now
        sleep 0.05
    done
done
sleep 3
end=$(rss)
kill -0 "$app" || { echo "the app exited"; cat "$tmp/app.log"; exit 1; }
echo "vault: $photos photos; window 1280x800 under Xvfb"
echo "resident memory: ${before} MB at the login screen, ${after_login} MB after login, peak ${peak} MB while scrolling, ${end} MB at the end (target < 300 MB)"
