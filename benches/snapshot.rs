//! Cost of keeping the last good read of a source (`src/store/snapshot.rs`): writing a
//! snapshot of 10k items (JSON + one SQLite row, `synchronous = FULL`, on the store thread)
//! and reading it back at start. Items from the demo generator.

use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use jiff::Timestamp;
use nightdesk::model::SourceId;
use nightdesk::store::{Snapshot, Store};

const N: usize = 10_000;

fn snapshot() -> Snapshot {
    let at = Timestamp::from_second(1_767_600_000).expect("valid instant");
    let source = SourceId::new("bench");
    let mut items = nightdesk::sources::demo::generate_items(N, 42, at);
    for item in &mut items {
        item.key = nightdesk::model::ItemKey::new(&source, &item.key.external_id);
    }
    Snapshot {
        source,
        fetched_at: at,
        items,
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("bench.db")).expect("store");
    let snap = snapshot();
    let json = serde_json::to_string(&snap.items).expect("json");
    println!(
        "snapshot of {N} items: {} bytes of JSON ({} per item)",
        json.len(),
        json.len() / N
    );
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(20);
    group.bench_function("clone 10k items (UI thread)", |b| {
        b.iter(|| black_box(snap.items.clone()))
    });
    group.bench_function("write 10k items (store thread)", |b| {
        b.iter_batched(
            || snap.clone(),
            |s| store.save_snapshot(&s).expect("save"),
            BatchSize::LargeInput,
        )
    });
    store.save_snapshot(&snap).expect("save");
    let wanted = [snap.source.clone()];
    group.bench_function("read 10k items at start", |b| {
        b.iter(|| black_box(store.snapshots(&wanted).expect("read")))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
