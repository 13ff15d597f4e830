//! Event encode (payload JSON), decode (with the upcast check), canonical
//! bytes and the chain hash, per event, for the two commonest events.
//! Pure CPU: no database.
//!
//! `cargo bench --bench codec`
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use stockage_events::{canonical_bytes, chain_hash};
use stockage_load::generate::LogGenerator;

fn benches(c: &mut Criterion) {
    let events = LogGenerator::new(9).take(2);
    let mut group = c.benchmark_group("event");
    group.throughput(Throughput::Elements(1));
    for recorded in &events {
        let name = recorded.event_type.as_str();
        let event = recorded.event().unwrap();
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| serde_json::to_vec(&black_box(&event).payload()).unwrap())
        });
        let stored = serde_json::to_vec(&recorded.payload).unwrap();
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| {
                let payload: serde_json::Value =
                    serde_json::from_slice(black_box(&stored)).unwrap();
                stockage_events::Event::decode(&recorded.event_type, 1, &payload).unwrap()
            })
        });
        group.bench_function(format!("canonical_bytes/{name}"), |b| {
            b.iter(|| canonical_bytes(black_box(recorded)))
        });
        group.bench_function(format!("hash/{name}"), |b| {
            b.iter(|| chain_hash(&recorded.prev_hash, &canonical_bytes(black_box(recorded))))
        });
    }
    group.finish();
}

criterion_group!(codec_benches, benches);
criterion_main!(codec_benches);
