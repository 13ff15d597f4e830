//! How thumbnails are drawn and cached: every size a source lacks from
//! one read and one rendering, and a cached file cut short is drawn again.
use std::time::Duration;

use reqwest::StatusCode;
use sqlx::PgPool;
use stockage::preview::store::{Source, Tally};
use stockage::preview::{PreviewConfig, Previews, Size, Status, worker};
use stockage::storage::Stored;
use stockage_events::{FileKind, Sha256};

use super::{picture, preview, upload};
use crate::helpers::{
    ADMIN, Backend, fixture, spawn_app, spawn_app_configured, spawn_app_configured_on,
    test_preview_config,
};

fn sha_of(bytes: &[u8]) -> Sha256 {
    use sha2::Digest;
    Sha256::from_digest(sha2::Sha256::digest(bytes).into())
}

async fn the_worker_reads_and_renders_each_source_once(pool: PgPool, backend: Backend) {
    let app =
        spawn_app_configured_on(pool, backend, |settings| settings.previews.worker = false).await;
    app.create_project("alpha").await;
    let previews = Previews::new(app.blobs.clone(), test_preview_config());
    upload(&app, "blueprint.pdf", fixture("blueprint.pdf")).await;
    upload(&app, "part.stl", fixture("part_binary.stl")).await;
    upload(&app, "hostile.pdf", b"%PDF-1.4 0\naaaaaaaa".to_vec()).await;
    worker::catch_up(&app.pool, &previews).await.unwrap();
    assert_eq!(
        previews.tally(),
        Tally {
            reads: 3,
            renders: 3
        },
        "one read and one rendering a source, for its three sizes"
    );
    for (name, kind, status) in [
        ("blueprint.pdf", FileKind::Pdf, Status::Rendered),
        ("part_binary.stl", FileKind::Stl, Status::Rendered),
    ] {
        let bytes = fixture(name);
        let sha = sha_of(&bytes);
        for size in Size::ALL {
            let cached = previews.cached(&sha, size).await.unwrap();
            let cached = cached.unwrap_or_else(|| panic!("{name} at {size:?} is not cached"));
            assert_eq!(cached.status, status, "{name} at {size:?}");
            let image = image::load_from_memory(&cached.png).unwrap();
            assert_eq!(image.width().max(image.height()), size.pixels(), "{name}");
        }
        // Drawn already: asking again reads nothing.
        let source = Source {
            kind,
            sha256: sha,
            size: bytes.len() as u64,
        };
        previews.draw(&source, &Size::ALL).await.unwrap();
    }
    let hostile = sha_of(b"%PDF-1.4 0\naaaaaaaa");
    for size in Size::ALL {
        let cached = previews.cached(&hostile, size).await.unwrap();
        assert_eq!(cached.map(|p| p.status), Some(Status::Failed), "{size:?}");
    }
    // Content already drawn costs nothing; a new one, one of each.
    upload(&app, "again.stl", fixture("part_binary.stl")).await;
    upload(&app, "photo.jpg", fixture("photo.jpg")).await;
    worker::catch_up(&app.pool, &previews).await.unwrap();
    assert_eq!(
        previews.tally(),
        Tally {
            reads: 4,
            renders: 4
        }
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_worker_reads_and_renders_each_source_once_on_local_blobs(pool: PgPool) {
    the_worker_reads_and_renders_each_source_once(pool, Backend::Local).await
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_worker_reads_and_renders_each_source_once_on_s3(pool: PgPool) {
    the_worker_reads_and_renders_each_source_once(pool, Backend::S3).await
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_cached_thumbnail_cut_short_is_drawn_again_not_served(pool: PgPool) {
    let app = spawn_app_configured(pool, |settings| settings.previews.worker = false).await;
    app.create_project("alpha").await;
    let bytes = fixture("part_binary.stl");
    let doc = upload(&app, "part.stl", bytes.clone()).await;
    let whole = preview(&app, &doc, 1, "?size=128", ADMIN)
        .await
        .bytes()
        .await
        .unwrap();
    let file = app
        .blobs
        .local_dir()
        .expect("local blobs")
        .join("previews")
        .join(sha_of(&bytes).as_str())
        .join("128-v1.png");
    let stored = std::fs::read(&file).unwrap();
    assert_eq!(&stored[1..], &whole[..]);
    // What a crash may leave of a file written without fsync: nothing, a
    // part of it, or its length with blocks never written.
    let mut unwritten = stored.clone();
    let middle = stored.len() / 2;
    unwritten[middle..].fill(0);
    for torn in [Vec::new(), stored[..middle].to_vec(), unwritten] {
        std::fs::write(&file, &torn).unwrap();
        let again = preview(&app, &doc, 1, "?size=128", ADMIN).await;
        assert_eq!(super::header(&again, "x-preview"), None);
        let served = again.bytes().await.unwrap();
        assert!(served == whole, "{} bytes served", served.len());
        let redrawn = std::fs::read(&file).unwrap();
        assert!(redrawn == stored, "{} bytes stored", redrawn.len());
    }
    let image = picture(preview(&app, &doc, 1, "?size=128", ADMIN).await).await;
    assert_eq!(image.dimensions(), (128, 128));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_worker_draws_every_size_of_each_new_revision(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let doc = upload(&app, "photo.png", fixture("photo.png")).await;
    let response = app
        .put_content(&doc, ADMIN, fixture("photo_v2.png"), None, None)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let sources = [
        "f7ebbf94d89bcb4f79de7594e3b21d10ab4c2bdbe713b4d2d910c894a4c870b1",
        "a021659a2c1bb24a2ec45b5a0d6577243126ae5638becf6b4a1ef2784e45e5d2",
    ];
    // No preview was asked for: the worker draws them.
    let mut stored = Vec::new();
    for _ in 0..240 {
        stored = app
            .blobs
            .list()
            .await
            .unwrap()
            .into_iter()
            .filter_map(|o| match o.what {
                Stored::Preview { source, name, .. } => Some((source.to_string(), name)),
                _ => None,
            })
            .collect();
        if stored.len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stored.sort();
    let expected: Vec<(String, String)> = sources
        .iter()
        .flat_map(|sha| ["128", "256", "512"].map(|s| (sha.to_string(), format!("{s}-v1.png"))))
        .collect();
    let mut expected = expected;
    expected.sort();
    assert_eq!(stored, expected);
    // The checkpoint moves once the page's last thumbnail is stored.
    let mut checkpoint = None;
    for _ in 0..240 {
        checkpoint = sqlx::query_scalar::<_, i64>(
            "SELECT position FROM projector_checkpoints WHERE name = 'previews'",
        )
        .fetch_optional(&app.pool)
        .await
        .unwrap();
        if checkpoint == Some(app.event_count().await) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(checkpoint, Some(app.event_count().await));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_worker_resumes_from_its_checkpoint(pool: PgPool) {
    let app = spawn_app_configured(pool, |settings| settings.previews.worker = false).await;
    app.create_project("alpha").await;
    upload(&app, "photo.jpg", fixture("photo.jpg")).await;
    let previews = Previews::new(app.blobs.clone(), PreviewConfig::default());
    assert_eq!(worker::catch_up(&app.pool, &previews).await.unwrap(), 1);
    assert_eq!(worker::catch_up(&app.pool, &previews).await.unwrap(), 0);
    upload(&app, "part.stl", fixture("part_binary.stl")).await;
    upload(&app, "same.jpg", fixture("photo.jpg")).await;
    // Only what came after the checkpoint; the same content reuses its previews.
    assert_eq!(worker::catch_up(&app.pool, &previews).await.unwrap(), 2);
    let stored = app
        .blobs
        .list()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| matches!(o.what, Stored::Preview { .. }))
        .count();
    assert_eq!(stored, 6, "two contents, three sizes each");
}
