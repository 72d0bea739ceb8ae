#!/usr/bin/env bash
# The app's first screen in a real window (Xvfb, Mesa's software renderer), timed from the
# outside: starts the release binary on VAULT, types the login, and takes a screenshot of
# the window every 50 ms from the moment Enter is pressed. Then locks (the toolbar's Lock)
# and logs in again, timed the same way. Each is done with the file in the page cache
# ("warm") and, when run as root, after dropping it ("cold", as after a reboot).
#
# From the screenshots: "first thumbnails" is the first one in which the grid shows
# pictures (thousands of distinct colours where the login screen, the empty grid and its
# placeholder tiles have a few hundred); "window full" the first one that has 90% of the
# colours of the last (every visible tile painted). Both include the login's Argon2id
# (about 0.1 s on this machine class; `cargo bench --bench grid` prints it).
#
# Needs (Debian): xvfb xdotool x11-apps (xwd). The vault's photos must be pictures with
# many colours (`scripts/bench-scale.sh` makes such a vault: target/bench-scale/vault.redb).
#
#   SPG_BENCH_PASSWORD=… scripts/bench-first-screen.sh [VAULT] [USER] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/window.sh
vault=$(realpath "${1:-target/bench-scale/vault.redb}")
user=${2:-bench}
rounds=${3:-2}
password=${SPG_BENCH_PASSWORD:?set SPG_BENCH_PASSWORD to the account's password}
for tool in Xvfb xdotool xwd; do command -v "$tool" >/dev/null || { echo "needs $tool (xvfb xdotool x11-apps)"; exit 1; }; done
cargo build --release --locked --quiet
bin=$PWD/target/release/secure-photo-gallery

tmp=$(mktemp -d)
app="" xvfb=""
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data
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

# timings: "first thumbnails" and "window full", in ms, from the screenshots.
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
last = counts[-1][1]
first = next((ms for ms, n in counts if n >= 2000), None)
full = next((ms for ms, n in counts if n >= 0.9 * last), None)
print(first if first is not None else "none", full if last >= 2000 else "none", last)
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
        xdotool mousemove --window "$win" 1245 16 click 1
        sleep 3
        type_login "$user" "$password"
        capture 8
        read -r first full colours < <(timings)
        echo "round $r, $temperature, after a lock: Enter to first thumbnails ${first} ms, to the window full ${full} ms"
        kill "$app" "$xvfb"
        wait "$app" "$xvfb" 2>/dev/null || true
    done
done
