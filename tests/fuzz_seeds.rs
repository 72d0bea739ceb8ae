//! Runs every fuzz target's body (core/src/fuzzing/) on its seeds and on every input kept
//! in tests/fuzz/corpus/TARGET/ (cases that fuzzing found, kept once fixed), on stable
//! Rust, in every test run. `SPG_WRITE_SEEDS=DIR` also writes the seeds to DIR/TARGET/,
//! which is how scripts/fuzz.sh starts a corpus.

use std::path::Path;

use spg_core::fuzzing::{TARGETS, seeds};

#[test]
fn every_fuzz_target_holds_on_its_seeds_and_kept_cases() {
    let write_to = std::env::var_os("SPG_WRITE_SEEDS");
    let seeds = seeds();
    for (name, body) in TARGETS {
        let mine: Vec<&Vec<u8>> = seeds.iter().filter(|(t, _)| *t == name).map(|(_, s)| s).collect();
        assert!(!mine.is_empty(), "target {name} has no seeds");
        for (i, seed) in mine.iter().enumerate() {
            body(seed);
            if let Some(dir) = &write_to {
                let dir = Path::new(dir).join(name);
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join(format!("seed-{i}")), seed).unwrap();
            }
        }
        let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus").join(name);
        for entry in std::fs::read_dir(&kept).into_iter().flatten() {
            let path = entry.unwrap().path();
            body(&std::fs::read(&path).unwrap());
        }
    }
}
