#!/usr/bin/env bash
# The app's first screen in a real window (Xvfb, Mesa's software renderer), timed from the
# outside: starts the release binary on VAULT, types the login, and takes a screenshot of
# the window every 50 ms from the moment Enter is pressed. Then locks (the toolbar's Lock)
# and logs in again, timed the same way. Each is done with the file in the page cache
# ("warm") and, when run as root, after dropping it ("cold", as after a reboot).
#
# From the screenshots, by the number of distinct colours in the window below the toolbars
# (the login screen has a few hundred, the gallery while its list loads a few dozen, its
# thumbnails bring more): "first thumbnails" is the first screenshot after the fewest
# that has a quarter of the way from there to the last one's count; "window full" the
# first that has the last one's count (every visible tile painted). Both include the
# login's Argon2id (about 0.1 s on this machine class; `cargo bench --bench grid` prints it).
# A screenshot is taken every 50 ms or so: each figure is good to about 80 ms.
#
# Needs (Debian): xvfb xdotool x11-apps (xwd). The vault: `scripts/bench-scale.sh` makes one
# (target/bench-scale/vault.redb; its password is changed at each checkpoint, see there).
#
#   SPG_BENCH_PASSWORD=… scripts/bench-first-screen.sh [VAULT] [USER] [ROUNDS]
# SPG_BENCH_BIN=PATH times another build of the program (to compare two) instead of this
# tree's release build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/window.sh
vault=$(realpath "${1:-target/bench-scale/vault.redb}")
user=${2:-bench}
rounds=${3:-2}
password=${SPG_BENCH_PASSWORD:?set SPG_BENCH_PASSWORD to the password of the account}
for tool in Xvfb xdotool xwd; do command -v "$tool" >/dev/null || { echo "needs $tool (xvfb xdotool x11-apps)"; exit 1; }; done
if [ -z "${SPG_BENCH_BIN:-}" ]; then
    cargo build --release --locked --quiet
fi
bin=${SPG_BENCH_BIN:-$PWD/target/release/secure-photo-gallery}

tmp=$(mktemp -d)
app="" xvfb=""
mkdir -m 700 "$tmp/run"
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_RUNTIME_DIR=$tmp/run
frames=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$tmp" "$frames"' EXIT

# capture SECONDS: a screenshot every 50 ms into $frames, each named by its milliseconds
# since now.
capture() {
    rm -f "$frames"/*
    local start end now
    start=$(date +%s%N) end=$((start + $1 * 1000000000))
    while now=$(date +%s%N) && [ "$now" -lt "$end" ]; do
        xwd -root -silent > "$frames/$(((now - start) / 1000000)).xwd"
        sleep 0.05
    done
}

# timings: "first thumbnails" and "window full", in ms, from the screenshots, and the
# last one's colours.
timings() {
    python3 - "$frames" <<'PY'
import os, struct, sys
folder = sys.argv[1]
def colours(path):
    data = open(path, "rb").read()
    header = struct.unpack(">25I", data[:100])
    header_size, width, height, bpl, ncolors = header[0], header[4], header[5], header[12], header[19]
    pixels = data[header_size + 12 * ncolors:]
    seen = set()
    for y in range(120, height - 40, 2):  # below the toolbars, above the status line
        row = pixels[y * bpl:(y + 1) * bpl]
        seen.update(row[x * 4:x * 4 + 3] for x in range(0, width, 2))
    return len(seen)
shots = sorted((int(name[:-4]), os.path.join(folder, name)) for name in os.listdir(folder))
counts = [(ms, colours(path)) for ms, path in shots]
low = min(range(len(counts)), key=lambda i: counts[i][1])
fewest, last = counts[low][1], counts[-1][1]
later = counts[low:]
first = next((ms for ms, n in later if n >= fewest + (last - fewest) / 4), None)
full = next((ms for ms, n in later if n >= last), None)
print(first if last > fewest else "none", full if last > fewest else "none", last)
PY
}

for ((r = 1; r <= rounds; r++)); do
    for temperature in cold warm; do
        if [ "$temperature" = cold ]; then
            sync
            echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || { echo "(not root: no cold runs)"; continue; }
        else
            cat "$vault" > /dev/null
        fi
        start_window :79 "$bin" "$vault" "$tmp/app.log"
        type_login "$user" "$password"
        capture 12
        read -r first full colours < <(timings)
        echo "round $r, $temperature: Enter to first thumbnails ${first} ms, to the window full ${full} ms ($colours colours)"
        # Lock (the toolbar's right end), then the same login again.
        eval "$(xdotool getwindowgeometry --shell "$win")"
        xdotool mousemove --window "$win" $((WIDTH - 35)) 16 click 1
        sleep 3
        type_login "$user" "$password"
        capture 8
        read -r first full colours < <(timings)
        echo "round $r, $temperature, after a lock: Enter to first thumbnails ${first} ms, to the window full ${full} ms"
        kill "$app" "$xvfb"
        wait "$app" "$xvfb" 2>/dev/null || true
    done
done
