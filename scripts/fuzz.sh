#!/usr/bin/env bash
# Fuzzes each target for SECONDS (default 120) with cargo-fuzz (libFuzzer + AddressSanitizer,
# nightly Rust): stored-record decoding, chunk decryption, the password-email parser and
# image import (analysis and metadata stripping). Targets are in tests/fuzz/fuzz_targets,
# their bodies in core/src/fuzzing/.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# The corpus starts from the seeds of core/src/fuzzing/ (written by tests/fuzz_seeds.rs) and
# grows in target/fuzz-corpus/. A crash stops the run; its input is saved under
# tests/fuzz/artifacts/TARGET/. Once fixed, copy that input into tests/fuzz/corpus/TARGET/
# so every `cargo test` replays it on stable.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(records chunks password_email image_import)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
corpus=$PWD/target/fuzz-corpus
SPG_WRITE_SEEDS=$corpus cargo test --quiet --test fuzz_seeds >/dev/null

for target in "${targets[@]}"; do
    echo "== fuzzing $target for ${secs}s"
    kept=tests/fuzz/corpus/$target
    mkdir -p "$corpus/$target"
    log=target/fuzz-$target.log
    # Stay well under 1 GiB per input, as the import promises; larger inputs for images.
    if ! cargo +nightly fuzz run --fuzz-dir tests/fuzz "$target" "$corpus/$target" $([ -d "$kept" ] && echo "$kept") -- \
        -max_total_time="$secs" -rss_limit_mb=1024 -max_len=$([ "$target" = image_import ] && echo 262144 || echo 65536) \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -40 "$log"
        echo "fuzzing $target failed (a crash saved under tests/fuzz/artifacts/$target, or a build error above)"
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' "$log" || true
done
echo "no crashes"
