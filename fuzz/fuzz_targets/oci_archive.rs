#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| archlens_fuzz::oci_archive(data));
