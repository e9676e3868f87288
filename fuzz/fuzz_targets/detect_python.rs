#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| archlens_fuzz::detect_python(data));
