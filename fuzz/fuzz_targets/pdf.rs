#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;
use stockage_events::FileKind;

fuzz_target!(|data: &[u8]| {
    common::server_semantics();
    let _ = stockage_extract::index(FileKind::Pdf, "fuzz.pdf", data);
});
