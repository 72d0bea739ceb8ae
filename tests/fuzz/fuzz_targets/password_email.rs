#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spg_core::fuzzing::password_email(data));
