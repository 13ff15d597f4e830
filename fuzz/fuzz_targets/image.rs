#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;
use stockage_events::FileKind;

// PNG and JPEG: the first byte picks the decoder.
fuzz_target!(|data: &[u8]| {
    common::server_semantics();
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let kind = if pick % 2 == 0 { FileKind::Png } else { FileKind::Jpg };
    let _ = stockage_extract::index(kind, "fuzz", bytes);
});
