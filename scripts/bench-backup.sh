#!/usr/bin/env bash
# Backup against rclone (issue 18): the same 12 MP photos (scripts/corpus.sh) sent to the
# same S3 server on this machine (moto's, tests/s3_server.py, in the virtual environment
# scripts/test.sh makes), by `secure-photo-gallery backup` (which reads each photo from
# the vault, seals it once more and sends it, six at a time) and by `rclone copy` of the
# plain files (four at a time, its default; no encryption). Prints both wall times and
# their ratio per round, and the medians. Goal: no slower than rclone.
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

# The server, on a free port, with one bucket per round and tool.
buckets=()
for ((r = 1; r <= rounds; r++)); do buckets+=("ours$r" "rclone$r"); done
coproc SERVER { exec "$python" tests/s3_server.py "${buckets[@]}" 2>/dev/null; }
read -r line <&"${SERVER[0]}"
port=${line#PORT }
endpoint=http://127.0.0.1:$port
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
export SPG_S3_SECRET_KEY=test-secret-key
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ENDPOINT=$endpoint \
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=test-access-key RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=test-secret-key \
    RCLONE_CONFIG_BENCH_REGION=us-east-1

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
ours_times=() rclone_times=()
for ((r = 1; r <= rounds; r++)); do
    t=$(now)
    "$bin" backup --user bench --to "s3://ours$r/p" --endpoint "$endpoint" --access-key test-access-key >/dev/null
    ours=$(since "$t")
    t=$(now)
    # (Debian's rclone 1.60 fails when AWS_CA_BUNDLE is set, even for plain http.)
    env -u AWS_CA_BUNDLE rclone copy "$corpus" "bench:rclone$r/p" --exclude .done
    theirs=$(since "$t")
    ours_times+=("$ours") rclone_times+=("$theirs")
    printf 'round %d: backup %.2f s, rclone copy %.2f s, ratio %.2f\n' "$r" "$ours" "$theirs" "$(echo "$ours / $theirs" | bc -l)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
o=$(median "${ours_times[@]}") c=$(median "${rclone_times[@]}")
printf 'median: backup %.2f s, rclone copy %.2f s, ratio %.2f (%s, rclone %s)\n' "$o" "$c" "$(echo "$o / $c" | bc -l)" \
    "$("$bin" --version)" "$(rclone version | head -1)"
