//! Stored events must stay readable forever: every file in
//! `fixtures/events/` is decoded by the current code, and every event type
//! has at least one such file.
use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use stockage_events::{Event, SCHEMA_VERSION};

fn golden() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/events");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/events exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, serde_json::from_str(&text).unwrap())
        })
        .collect()
}

#[test]
fn every_golden_event_decodes() {
    for (name, doc) in golden() {
        let event_type = doc["event_type"].as_str().unwrap();
        let version = doc["schema_version"].as_i64().unwrap() as i32;
        let event = Event::decode(event_type, version, &doc["payload"])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(event.event_type(), event_type, "{name}");
        if version == SCHEMA_VERSION {
            assert_eq!(
                event.payload(),
                doc["payload"],
                "{name}: current schema must round-trip"
            );
        }
    }
}

#[test]
fn every_event_type_has_a_golden_file() {
    let covered: BTreeSet<String> = golden()
        .iter()
        .map(|(_, doc)| doc["event_type"].as_str().unwrap().to_owned())
        .collect();
    for event_type in Event::TYPES {
        assert!(
            covered.contains(event_type),
            "no golden file for {event_type}"
        );
    }
}
