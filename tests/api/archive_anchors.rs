//! An archive proves where it starts (the genesis) and, given the head an
//! export printed, where it ends: events cut from either end are found even
//! when the header, end frame and checksum were rewritten to match.
use sha2::Digest;
use sqlx::PgPool;
use sqlx::migrate::MigrateDatabase;
use stockage::audit::archive::{self, ArchiveError};

use crate::archive::{fresh_database, history};
use crate::helpers::{cli, spawn_app};

/// The frames of an archive made without blobs, by kind.
struct Frames {
    events: Vec<Vec<u8>>,
}

fn frames(archive: &[u8]) -> Frames {
    let mut rest = &archive[8..archive.len() - 32];
    let mut events = Vec::new();
    while !rest.is_empty() {
        let len = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        let frame = rest[4..4 + len].to_vec();
        if frame[0] == 1 {
            events.push(frame);
        }
        rest = &rest[4 + len..];
    }
    Frames { events }
}

fn varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// A well-formed archive of `events` frames: header (starting at
/// `first_position` after `start_hash`), the events, an end frame naming
/// `end_hash`, and a correct checksum.
fn forge(
    first_position: i64,
    start_hash: [u8; 32],
    events: &[Vec<u8>],
    end_hash: [u8; 32],
) -> Vec<u8> {
    let mut header = vec![0];
    varint(1, &mut header);
    varint(zigzag(0), &mut header);
    varint(zigzag(first_position), &mut header);
    header.extend_from_slice(&start_hash);
    let mut end = vec![4];
    varint(events.len() as u64, &mut end);
    varint(0, &mut end);
    end.extend_from_slice(&end_hash);
    let mut out = archive::MAGIC.to_vec();
    for frame in std::iter::once(&header).chain(events).chain([&end]) {
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(frame);
    }
    let checksum: [u8; 32] = sha2::Sha256::digest(&out).into();
    out.extend_from_slice(&checksum);
    out
}

async fn hash_at(pool: &PgPool, position: i64) -> [u8; 32] {
    let hash: Vec<u8> = sqlx::query_scalar("SELECT hash FROM events WHERE position = $1")
        .bind(position)
        .fetch_one(pool)
        .await
        .unwrap();
    hash.try_into().unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn events_cut_from_either_end_are_found(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    history(&app).await;
    let mut bytes = Vec::new();
    let summary = archive::export(&pool, None, &mut bytes).await.unwrap();
    let events = frames(&bytes).events;
    let n = events.len() as i64;
    assert!(n > 4);
    let head = hash_at(&pool, n).await;
    assert_eq!(summary.end_hash, hex::encode(head));
    let (url, copy) = fresh_database(&pool, "anchors").await;

    // The first two events removed, the header rewritten to start after them.
    let cut_start = forge(3, hash_at(&pool, 2).await, &events[2..], head);
    let error = archive::import(&copy, None, cut_start.as_slice())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ArchiveError::Corrupt(why) if why.contains("removed from its start")),
        "{error}"
    );

    // The last two removed, the end frame rewritten: consistent in itself,
    // caught by the head the export printed.
    let short_head = hash_at(&pool, n - 2).await;
    let cut_end = forge(1, [0; 32], &events[..events.len() - 2], short_head);
    let error = archive::import_to(&copy, None, cut_end.as_slice(), Some(head))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ArchiveError::Corrupt(why) if why.contains("cut off its end")),
        "{error}"
    );
    let events_in_copy = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events")
            .fetch_one(&copy)
            .await
            .unwrap()
    };
    assert_eq!(events_in_copy().await, 0, "nothing imported");

    // Imported without the anchor, `verify --expect-head` finds the loss.
    archive::import(&copy, None, cut_end.as_slice())
        .await
        .unwrap();
    let output = cli(&copy, &["verify", "--expect-head", &hex::encode(head)])
        .await
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("does not hold the expected head"), "{said}");
    let output = cli(
        &copy,
        &["verify", "--expect-head", &hex::encode(short_head)],
    )
    .await
    .output()
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    copy.close().await;
    sqlx::Postgres::drop_database(&url).await.unwrap();
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_changed_frame_length_is_not_called_a_cut(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    history(&app).await;
    let mut bytes = Vec::new();
    archive::export(&pool, None, &mut bytes).await.unwrap();
    // The first event frame's length, after the magic and the header frame.
    let header_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let at = 8 + 4 + header_len + 1;
    let mut flipped = bytes.clone();
    flipped[at] ^= 0x10;
    let (url, copy) = fresh_database(&pool, "flipped").await;
    let error = archive::import(&copy, None, flipped.as_slice())
        .await
        .unwrap_err();
    let said = error.to_string();
    assert!(said.contains("length was changed"), "{said}");
    copy.close().await;
    sqlx::Postgres::drop_database(&url).await.unwrap();
}
