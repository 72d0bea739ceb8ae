#!/usr/bin/env bash
# Backup against rclone (issue 18): the same 12 MP photos (scripts/corpus.sh) sent to the
# same S3 server on this machine (moto's, tests/s3_server.py, in the virtual environment
# scripts/test.sh makes), by `secure-photo-gallery backup` (which reads each photo from
# the vault, seals it once more and sends it, six at a time) and by `rclone copy` of the
# plain files (four at a time, its default; no encryption). Prints both wall times and
# their ratio per round, and the medians. Goal: no slower than rclone. Then the same
# against s3s-fs, a server that is not the bottleneck, when it is installed (see below).
#
#   bash scripts/bench-backup.sh [PHOTOS] [ROUNDS]   # default 48 photos, 3 rounds
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-48}
rounds=${2:-3}
corpus=target/bench-corpus/$count
work=target/bench-backup
python=target/test-tools/s3-venv/bin/python3

source scripts/corpus.sh
need_tools rclone
build_corpus "$count" "$corpus"
[ -x "$python" ] || { echo "run scripts/test.sh once first: it installs the S3 test server"; exit 1; }
files=("$corpus"/*.jpg)
mb=$(du -cm "${files[@]}" | tail -1 | cut -f1)
echo "corpus: ${#files[@]} JPEGs, 4000x3000, ${mb} MB"

cargo build --release --locked --quiet
bin=$PWD/target/release/secure-photo-gallery
rm -rf "$work" && mkdir -p "$work"
export SPG_VAULT=$PWD/$work/vault.redb SPG_PASSWORD="bench password that is long enough" XDG_CONFIG_HOME=$PWD/$work/config
"$bin" register --user bench --email bench@example.com >/dev/null 2>&1
"$bin" import --user bench "$corpus" >/dev/null

export SPG_S3_SECRET_KEY=test-secret-key
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=test-access-key \
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=test-secret-key RCLONE_CONFIG_BENCH_REGION=us-east-1
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

# measure ENDPOINT SERVER: the rounds against the server at ENDPOINT, which has the buckets
# ours1, rclone1, ours2, ...
measure() {
    local endpoint=$1 server=$2 ours_times=() rclone_times=() r t ours theirs
    export RCLONE_CONFIG_BENCH_ENDPOINT=$endpoint
    for ((r = 1; r <= rounds; r++)); do
        t=$(now)
        "$bin" backup --user bench --to "s3://ours$r/p" --endpoint "$endpoint" --access-key test-access-key >/dev/null
        ours=$(since "$t")
        t=$(now)
        # (Debian's rclone 1.60 fails when AWS_CA_BUNDLE is set, even for plain http.)
        env -u AWS_CA_BUNDLE rclone copy "$corpus" "bench:rclone$r/p" --exclude .done 2>/dev/null
        theirs=$(since "$t")
        ours_times+=("$ours") rclone_times+=("$theirs")
        printf '%s, round %d: backup %.2f s, rclone copy %.2f s, ratio %.2f\n' "$server" "$r" "$ours" "$theirs" \
            "$(echo "$ours / $theirs" | bc -l)"
    done
    local o c
    o=$(median "${ours_times[@]}") c=$(median "${rclone_times[@]}")
    printf '%s, median: backup %.2f s, rclone copy %.2f s, ratio %.2f (%s, %s)\n' "$server" "$o" "$c" \
        "$(echo "$o / $c" | bc -l)" "$("$bin" --version)" "$(rclone version | head -1)"
}

buckets=()
for ((r = 1; r <= rounds; r++)); do buckets+=("ours$r" "rclone$r"); done

# The tests' server (moto, one Python process), on a free port, with one bucket per round
# and tool: its own cost per request and per byte sets much of both times.
coproc SERVER { exec "$python" tests/s3_server.py "${buckets[@]}" 2>/dev/null; }
read -r line <&"${SERVER[0]}"
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
measure "http://127.0.0.1:${line#PORT }" moto
kill "$SERVER_PID" 2>/dev/null || true

# A server that is not the bottleneck, when it is installed: s3s-fs (Rust, every core),
# storing in memory (/dev/shm). Install it with
#   cargo install s3s-fs@0.14.1 --features binary --locked
if command -v s3s-fs >/dev/null; then
    store=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
    for b in "${buckets[@]}"; do mkdir "$store/$b"; done
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    s3s-fs --host 127.0.0.1 --port "$port" --access-key test-access-key --secret-key test-secret-key "$store" \
        >/dev/null 2>&1 &
    fast=$!
    trap 'kill $fast 2>/dev/null || true; rm -rf "$store"' EXIT
    for _ in $(seq 50); do (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
    measure "http://127.0.0.1:$port" s3s-fs
else
    echo "(s3s-fs is not installed: not measured against a server that is not the bottleneck)"
fi
