#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;
use stockage_events::FileKind;

// glTF JSON and GLB containers: the first byte picks the reader.
fuzz_target!(|data: &[u8]| {
    common::server_semantics();
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let kind = if pick % 2 == 0 { FileKind::Gltf } else { FileKind::Glb };
    let _ = stockage_extract::index(kind, "fuzz", bytes);
});
