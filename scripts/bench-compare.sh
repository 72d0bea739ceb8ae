#!/usr/bin/env bash
# Import and batch export through the real binary, against what a careful user would
# otherwise script: `vipsthumbnail -s 256` then `age -r` on each file (import), and
# `age -d` on each file (export). Prints both wall times and their ratio per round, the
# medians, and our peak resident memory. Targets (issue 6): import ≤ 0.6×, export ≤ 0.6×,
# import < 400 MB.
#
#   bash scripts/bench-compare.sh [PHOTOS] [ROUNDS]   # default 48 photos of 4000x3000, 3 rounds
#
# The corpus (scripts/corpus.sh): the twelve 2560x1600 photographs of Debian's plasma-workspace-wallpapers
# (downloaded with apt-get, not installed), each cropped to 4:3 at a different place per
# copy, mirrored every other round, scaled to 4000x3000, given a little Gaussian noise
# and saved at quality 90 (about 4 MB, like a phone's 12 MP photo). It is built once into
# target/bench-corpus/. Needs root or sudo the first time (libvips-tools, age, time).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-48}
rounds=${2:-3}
work=target/bench-compare
corpus=target/bench-corpus/$count

source scripts/corpus.sh
need_tools age
build_corpus "$count" "$corpus"
files=("$corpus"/*.jpg)
mb=$(du -cm "${files[@]}" | tail -1 | cut -f1)
echo "corpus: ${#files[@]} JPEGs, 4000x3000, ${mb} MB in $corpus"

cargo build --release --locked --quiet
bin=$PWD/target/release/secure-photo-gallery

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }

# One round: the anchors and ours on the same files; the times land in the variables
# anchor_import, anchor_export, ours_import and ours_export.
anchors() {
    rm -rf "$work"/{thumbs,age,plain} && mkdir -p "$work"/{thumbs,age,plain}
    sync
    local t0
    t0=$(now)
    vipsthumbnail "${files[@]}" -s 256 -o "$PWD/$work/thumbs/%s.jpg" 2>/dev/null
    for f in "${files[@]}"; do age -r "$recipient" -o "$work/age/$(basename "$f").age" "$f"; done
    anchor_import=$(since "$t0")
    t0=$(now)
    for f in "$work"/age/*.age; do age -d -i "$work/key.txt" -o "$work/plain/$(basename "$f" .age)" "$f"; done
    anchor_export=$(since "$t0")
}
ours() {
    local vault=$work/vault.redb t0
    rm -rf "$vault" "$work/outbox" "$work/export" && mkdir -p "$work/export"
    "$bin" --vault "$vault" register --user bench --email bench@example.com >/dev/null 2>&1
    sync
    t0=$(now)
    /usr/bin/time -f %M -o "$work/import.rss" "$bin" --vault "$vault" import --user bench "${files[@]}" >"$work/import.out" 2>"$work/import.err"
    ours_import=$(since "$t0")
    local emails=()
    # Each account has its own folder in the outbox.
    for e in "$work"/outbox/bench/*.eml; do emails+=(--passwords-file "$e"); done
    t0=$(now)
    /usr/bin/time -f %M -o "$work/export.rss" "$bin" --vault "$vault" export --user bench --all --out "$work/export" \
        "${emails[@]}" >/dev/null 2>"$work/export.err"
    ours_export=$(since "$t0")
    for f in "${files[@]}"; do cmp -s "$f" "$work/export/$(basename "$f")" || { echo "export differs: $f" >&2; exit 1; }; done
    import_rss=$(( $(cat "$work/import.rss") > import_rss ? $(cat "$work/import.rss") : import_rss ))
    export_rss=$(( $(cat "$work/export.rss") > export_rss ? $(cat "$work/export.rss") : export_rss ))
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

rm -rf "$work" && mkdir -p "$work"
age-keygen -o "$work/key.txt" 2>/dev/null
recipient=$(age-keygen -y "$work/key.txt")
export SPG_PASSWORD="bench password that is long enough"
n=${#files[@]}
per() { echo "scale=1; $1 * 1000 / $n" | bc; }
import_rss=0 export_rss=0
ai=() ae=() oi=() oe=() ri=() re=()
# This machine is shared: its speed drifts by tens of per cent within minutes. Each
# round runs both sides back to back (which goes first alternates), and the result is
# the median of the rounds' ratios.
printf '%-7s %12s %12s %7s %12s %12s %7s\n' round "anchor imp s" "ours imp s" ratio "anchor exp s" "ours exp s" ratio
for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then anchors; ours; else ours; anchors; fi
    ai+=("$anchor_import") ae+=("$anchor_export") oi+=("$ours_import") oe+=("$ours_export")
    ri+=("$(ratio "$ours_import" "$anchor_import")") re+=("$(ratio "$ours_export" "$anchor_export")")
    printf '%-7s %12.2f %12.2f %7s %12.2f %12.2f %7s\n' "$r" "$anchor_import" "$ours_import" "${ri[-1]}" \
        "$anchor_export" "$ours_export" "${re[-1]}"
done

echo
echo "medians of $rounds round(s), $n photos:"
printf '%-34s %9s %9s %11s\n' "" "total s" "ms/photo" "peak RSS"
m=$(median "${ai[@]}"); printf '%-34s %9.2f %9s %11s\n' "vipsthumbnail -s 256 + age -r" "$m" "$(per "$m")" ""
m=$(median "${oi[@]}"); printf '%-34s %9.2f %9s %8s MB\n' "secure-photo-gallery import" "$m" "$(per "$m")" "$((import_rss / 1024))"
m=$(median "${ae[@]}"); printf '%-34s %9.2f %9s %11s\n' "age -d" "$m" "$(per "$m")" ""
m=$(median "${oe[@]}"); printf '%-34s %9.2f %9s %8s MB\n' "secure-photo-gallery export --all" "$m" "$(per "$m")" "$((export_rss / 1024))"
echo
echo "import ratio: $(median "${ri[@]}")×   (target ≤ 0.6; rounds: ${ri[*]})"
echo "export ratio: $(median "${re[@]}")×   (target ≤ 0.6; rounds: ${re[*]})"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
