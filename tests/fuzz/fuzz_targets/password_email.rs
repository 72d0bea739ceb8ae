#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| secure_photo_gallery::fuzzing::password_email(data));
