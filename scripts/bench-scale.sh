#!/usr/bin/env bash
# How every cost grows with the number of photos (issue 17): imports small distinct JPEGs
# (96x64, one picture with a different comment in each file, so none is a duplicate) in
# runs of 10,000 through the command line, and at each checkpoint measures, warm (file in
# the page cache) and cold (page cache dropped, as after a reboot; needs root): `list
# --json`, `verify`, exporting one photo, deleting one photo, changing the password
# (against the same change of an empty account); putting a tenth of the photos (100,000 at
# most) in an album and listing it alone; and the vault's apparent and allocated size. Prints one Markdown row per checkpoint and every import run's time.
# Then `compact` and the size it leaves. With SPG_BENCH_GRID=1, also the app at each
# checkpoint, cold: `cargo bench --bench grid` on this vault (login to the first
# thumbnails, frames while scrolling the whole grid, resident memory).
# Needs: python3 (the JPEG comment is spliced in by a few lines of Python).
# Usage: [SPG_BENCH_RUN=N] scripts/bench-scale.sh [CHECKPOINT...]   (default: 10000 100000; runs of 10,000)
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoints=("${@:-10000 100000}")
read -r -a checkpoints <<< "${checkpoints[*]}"
run=${SPG_BENCH_RUN:-10000} # photos a command imports (SPG_BENCH_RUN)
cargo build --release --locked --quiet
bin=$PWD/target/release/secure-photo-gallery
if [ -n "${SPG_BENCH_GRID:-}" ]; then # built now, not in the middle of a measurement
    grid=$(cargo bench --locked --bench grid --no-run 2>&1 | sed -n 's/.*Executable benches\/grid.rs (\(.*\))/\1/p')
fi
work=target/bench-scale
rm -rf "$work" && mkdir -p "$work"
export SPG_VAULT=$PWD/$work/vault.redb SPG_PASSWORD="bench password that is long enough"
export XDG_CONFIG_HOME=$PWD/$work/config
"$bin" register --user bench --email bench@example.com >/dev/null 2>&1

# The picture: a 96x64 PNG written by Python's standard library, turned into a JPEG by
# the program itself (imported, and its thumbnail exported). Each file of a run is that
# JPEG with a comment segment "photo N" after its start marker.
python3 - "$work/base.jpg" <<'PY'
import struct, sys, zlib
# A 96x64 PNG of a gradient with noise, written by hand (no imaging library needed).
w, h = 96, 64
rows = b"".join(b"\0" + bytes((x * 2 + (y * 7 + x * 13) % 17) % 256 for x in range(w) for _ in range(3)) for y in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1] + ".png", "wb").write(png)
PY
# The PNG becomes a JPEG through the vault itself: import it, export its thumbnail.
"$bin" register --user seed --email seed@example.com >/dev/null 2>&1
"$bin" import --user seed "$work/base.jpg.png" >/dev/null 2>&1
seed_id=$("$bin" list --user seed | awk '{print $1; exit}')
"$bin" export --user seed --id "$seed_id" --thumbnail --out "$work/base.jpg" >/dev/null
"$bin" delete --user seed --id "$seed_id" >/dev/null

make_run() { # make_run FIRST COUNT DIR: COUNT files numbered from FIRST
    python3 - "$work/base.jpg" "$1" "$2" "$3" <<'PY'
import os, sys
base = open(sys.argv[1], "rb").read()
first, count, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(out, exist_ok=True)
for n in range(first, first + count):
    comment = b"photo %d" % n
    seg = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    open(os.path.join(out, "IMG_%07d.jpg" % n), "wb").write(base[:2] + seg + base[2:])
PY
}

seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
cold() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || echo "(cannot drop the page cache: not root)" >&2; }
# Warm: the whole file in the page cache (a list reads only the index, so after a cold list
# the photos' data is not cached).
warm() { cat "$SPG_VAULT" > /dev/null; }
mb() { echo "scale=1; $1 / 1000000" | bc; }

echo "| photos | import of the last 10,000 | list --json warm / cold | verify warm / cold | export one warm / cold | delete one | password change: empty account / this one | vault apparent / allocated | compact, then apparent |"
echo "|---|---|---|---|---|---|---|---|---|"
total=0
for target in "${checkpoints[@]}"; do
    last=""
    while [ "$total" -lt "$target" ]; do
        make_run "$total" "$run" "$work/run"
        last=$(seconds "$bin" import --user bench "$work/run")
        echo "import $total..$((total + run)): $last s, then $(mb "$(stat -c %s "$SPG_VAULT")") / $(mb "$(( $(stat -c %b "$SPG_VAULT") * 512 ))") MB apparent / held" >&2
        rm -rf "$work/run"
        total=$((total + run))
    done
    id=$("$bin" list --user bench | awk 'NR == 2 {print $1}')
    pw=$(grep -h -o "$id ([^)]*): [A-Z0-9-]*" "$(dirname "$SPG_VAULT")"/outbox/bench/*.eml | head -1 | awk '{print $NF}')
    listed=$("$bin" list --user bench | wc -l)
    [ "$listed" -eq "$((target - ${deleted:-0}))" ] || { echo "list shows $listed photos, not $target" >&2; exit 1; }
    warm; list_warm=$(seconds "$bin" list --user bench --json); cold; list_cold=$(seconds "$bin" list --user bench --json)
    warm; verify_warm=$(seconds "$bin" verify --user bench); cold; verify_cold=$(seconds "$bin" verify --user bench)
    rm -f "$work/one.jpg"; export_warm=$(SPG_PHOTO_PASSWORD=$pw seconds "$bin" export --user bench --id "$id" --out "$work/one.jpg")
    rm -f "$work/one.jpg"; cold; export_cold=$(SPG_PHOTO_PASSWORD=$pw seconds "$bin" export --user bench --id "$id" --out "$work/one.jpg")
    victim=$("$bin" list --user bench | awk 'NR == 3 {print $1}')
    delete=$(seconds "$bin" delete --user bench --id "$victim"); deleted=$((${deleted:-0} + 1))
    # A password change (two Argon2id runs: the current password checked, the new one
    # derived), warm, against the same change of the empty account `seed`: the difference
    # is what the photos cost.
    warm; next="$SPG_PASSWORD and again"
    passwd_empty=$(SPG_NEW_PASSWORD=$next seconds "$bin" passwd --user seed)
    passwd_full=$(SPG_NEW_PASSWORD=$next seconds "$bin" passwd --user bench)
    export SPG_PASSWORD=$next
    "$bin" list --user bench | head -1 | grep -q . || { echo "the new password does not open the account" >&2; exit 1; }
    # An album of a tenth of the photos (100,000 at most): put in with one command (one
    # transaction), then listed alone, warm.
    in_album=$(( target / 10 < 100000 ? target / 10 : 100000 ))
    "$bin" list --user bench | awk -v n="$in_album" 'NR <= n {print $1}' > "$work/album-ids"
    "$bin" album create --user bench "Album $target" >/dev/null 2>&1
    album_add=$(seconds sh -c "\"$bin\" album add --user bench 'Album $target' --id - < \"$work/album-ids\"")
    warm; album_list=$(seconds "$bin" list --user bench --album "Album $target" --json)
    echo "album of $in_album photos at $target: add $album_add s, list --album --json $album_list s" >&2
    held=$("$bin" list --user bench --album "Album $target" | wc -l)
    [ "$held" -eq "$in_album" ] || { echo "the album holds $held photos, not $in_album" >&2; exit 1; }
    apparent=$(stat -c %s "$SPG_VAULT"); allocated=$(( $(stat -c %b "$SPG_VAULT") * 512 ))
    compact=$(seconds "$bin" compact); compacted=$(stat -c %s "$SPG_VAULT")
    printf '| %s | %.1f s | %.2f / %.2f s | %.2f / %.2f s | %.2f / %.2f s | %.2f s | %.2f / %.2f s | %s / %s MB | %.1f s, %s MB |\n' \
        "$target" "$last" "$list_warm" "$list_cold" "$verify_warm" "$verify_cold" "$export_warm" "$export_cold" \
        "$delete" "$passwd_empty" "$passwd_full" "$(mb "$apparent")" "$(mb "$allocated")" "$compact" "$(mb "$compacted")"
    if [ -n "${SPG_BENCH_GRID:-}" ]; then
        cold
        SPG_BENCH_VAULT=$SPG_VAULT SPG_BENCH_PASSWORD=$SPG_PASSWORD "$grid" --bench 2>&1 |
            grep -E "login to|scroll through|resident|time:" >&2
    fi
done
