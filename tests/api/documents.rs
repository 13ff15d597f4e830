use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, assert_problem, fixture, spawn_app};

async fn post_form(app: &TestApp, slug: &str, form: Form) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/projects/{slug}/documents", app.address))
        .bearer_auth(app.token(ADMIN, true))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn file_part(name: &str) -> Part {
    Part::bytes(fixture(name)).file_name(name.to_owned())
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn title_and_tags_come_from_the_form(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    // Text parts may come before or after the file.
    let form = Form::new()
        .text("title", "  Main span  ")
        .part("file", file_part("blueprint.pdf"))
        .text("tags", "structural, phase-2, structural,");
    let response = post_form(&app, "alpha", form).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["title"], "Main span");
    assert_eq!(doc["tags"], json!(["structural", "phase-2"]));
    assert_eq!(doc["type"], "pdf");
    assert_eq!(doc["added_by"], ADMIN);
    assert_eq!(doc["project"], "alpha");
    assert_eq!(
        location,
        format!(
            "/api/v1/projects/alpha/documents/{}",
            doc["id"].as_str().unwrap()
        )
    );
    let fetched: Value = app.get(&location, ADMIN).await.json().await.unwrap();
    assert_eq!(fetched, doc);

    // Without a title the file name's stem is used.
    let untitled: Value = app
        .uploaded("alpha", ADMIN, "Bracket_V2.stl", fixture("part_ascii.stl"))
        .await;
    assert_eq!(untitled["title"], "Bracket_V2");
    assert_eq!(untitled["tags"], json!([]));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn malformed_forms_get_a_clear_400_and_leave_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let before = app.event_count().await;
    let cases = [
        (Form::new().text("title", "no file"), "no file part"),
        (
            Form::new()
                .part("file", file_part("blueprint.pdf"))
                .part("file", file_part("photo.png")),
            "more than one file part",
        ),
        (
            Form::new().part("file", Part::bytes(fixture("photo.png"))),
            "no filename",
        ),
        (
            Form::new()
                .part("file", file_part("photo.png"))
                .text("title", "   "),
            "title",
        ),
        (
            Form::new()
                .part("file", file_part("photo.png"))
                .text("tags", "x".repeat(51)),
            "tag",
        ),
    ];
    for (form, says) in cases {
        let detail = assert_problem(
            post_form(&app, "alpha", form).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(detail.contains(says), "{detail}");
    }
    let not_multipart = app
        .call(
            Method::POST,
            "/api/v1/projects/alpha/documents",
            Some(ADMIN),
            Some(json!({"file": "x"})),
        )
        .await;
    assert_eq!(not_multipart.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.event_count().await, before);
    assert_eq!(app.blob_counts().await, (0, 0));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn patch_delete_and_restore_a_document(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let doc: Value = app
        .uploaded("alpha", ADMIN, "photo.png", fixture("photo.png"))
        .await;
    let path = format!(
        "/api/v1/projects/alpha/documents/{}",
        doc["id"].as_str().unwrap()
    );

    let patched = app
        .call(
            Method::PATCH,
            &path,
            Some(ADMIN),
            Some(json!({"title": "Gearbox", "tags": ["a", "b"]})),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(
        (patched["title"].as_str(), patched["tags"].clone()),
        (Some("Gearbox"), json!(["a", "b"]))
    );
    assert_eq!(patched["revision"], 1);
    let only_tags: Value = app
        .call(Method::PATCH, &path, Some(ADMIN), Some(json!({"tags": []})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (only_tags["title"].as_str(), only_tags["tags"].clone()),
        (Some("Gearbox"), json!([]))
    );
    let bad = app
        .call(
            Method::PATCH,
            &path,
            Some(ADMIN),
            Some(json!({"title": ""})),
        )
        .await;
    assert_problem(bad, StatusCode::BAD_REQUEST).await;

    assert_eq!(
        app.call(Method::DELETE, &path, Some(ADMIN), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&path, ADMIN).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.get(&format!("{path}/content"), ADMIN).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let listed: Value = app
        .get("/api/v1/projects/alpha/documents", ADMIN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]));
    let with_deleted: Value = app
        .get(
            "/api/v1/projects/alpha/documents?include_deleted=true",
            ADMIN,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(with_deleted["items"][0]["deleted_at"].is_string());

    let restored = app
        .call(
            Method::POST,
            &format!("{path}/restore-deleted"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(restored.status(), StatusCode::OK);
    let restored: Value = restored.json().await.unwrap();
    assert!(restored["deleted_at"].is_null());
    assert_eq!(
        app.get(&format!("{path}/content"), ADMIN)
            .await
            .bytes()
            .await
            .unwrap(),
        fixture("photo.png")
    );

    let types: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version",
    )
    .bind(doc["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        types,
        [
            "DocumentAdded",
            "DocumentMetadataChanged",
            "DocumentMetadataChanged",
            "DocumentDeleted",
            "DocumentUndeleted"
        ]
    );
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn listing_filters_and_pages(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let uploads = [
        ("deck.pdf", "blueprint.pdf", "structural"),
        ("pier.pdf", "blueprint_v2.pdf", "civil"),
        ("gear.png", "photo.png", "structural"),
        ("arm.stl", "part_ascii.stl", "mech"),
        ("hub_50%.glb", "model.glb", "mech"),
    ];
    for (name, file, tag) in uploads {
        let form = Form::new()
            .part("file", Part::bytes(fixture(file)).file_name(name))
            .text("tags", tag);
        assert_eq!(
            post_form(&app, "alpha", form).await.status(),
            StatusCode::CREATED
        );
    }
    let titles = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["filename"].as_str().unwrap().to_owned())
            .collect()
    };
    let app = &app;
    let get = |query: &'static str| async move {
        let response = app
            .get(&format!("/api/v1/projects/alpha/documents{query}"), ADMIN)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        response.json::<Value>().await.unwrap()
    };
    assert_eq!(
        titles(&get("").await),
        ["hub_50%.glb", "arm.stl", "gear.png", "pier.pdf", "deck.pdf"]
    );
    assert_eq!(
        titles(&get("?tag=structural").await),
        ["gear.png", "deck.pdf"]
    );
    assert_eq!(titles(&get("?type=pdf").await), ["pier.pdf", "deck.pdf"]);
    assert_eq!(titles(&get("?type=stl&tag=mech").await), ["arm.stl"]);
    assert_eq!(titles(&get("?q=50%25").await), ["hub_50%.glb"]);
    assert_eq!(titles(&get("?q=PIER").await), ["pier.pdf"]);

    let mut seen = Vec::new();
    let mut next = Some(String::new());
    while let Some(cursor) = next {
        let query = if cursor.is_empty() {
            "?limit=2".to_owned()
        } else {
            format!("?limit=2&cursor={cursor}")
        };
        let page: Value = app
            .get(&format!("/api/v1/projects/alpha/documents{query}"), ADMIN)
            .await
            .json()
            .await
            .unwrap();
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(titles(&page));
        next = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen,
        ["hub_50%.glb", "arm.stl", "gear.png", "pier.pdf", "deck.pdf"]
    );

    for query in [
        "?type=exe",
        "?limit=0",
        "?limit=201",
        "?cursor=nonsense",
        "?include_deleted=maybe",
    ] {
        let response = app
            .get(&format!("/api/v1/projects/alpha/documents{query}"), ADMIN)
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST).await;
    }
}

/// Roles × document endpoints: readers read, editors+ write, outsiders
/// see nothing at all.
#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn document_visibility_follows_project_roles(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    for (user, role) in [("vic", "viewer"), ("eda", "editor"), ("adam", "admin")] {
        app.set_member("alpha", ADMIN, user, role).await;
    }
    let doc: Value = app
        .uploaded("alpha", ADMIN, "photo.png", fixture("photo.png"))
        .await;
    let path = format!(
        "/api/v1/projects/alpha/documents/{}",
        doc["id"].as_str().unwrap()
    );
    let reads = [
        "/api/v1/projects/alpha/documents".to_owned(),
        path.clone(),
        format!("{path}/content"),
    ];
    // (user, may read, may write)
    let matrix = [
        ("stranger", false, false),
        ("vic", true, false),
        ("eda", true, true),
        ("adam", true, true),
        (ADMIN, true, true),
    ];
    for (user, may_read, may_write) in matrix {
        for read in &reads {
            let response = app.get(read, user).await;
            if may_read {
                assert_eq!(response.status(), StatusCode::OK, "{user} GET {read}");
            } else {
                assert_problem(response, StatusCode::NOT_FOUND).await;
            }
        }
        let denied = if may_read {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        };
        let upload = app
            .upload("alpha", user, "new.png", fixture("photo.png"))
            .await;
        let patch = app
            .call(
                Method::PATCH,
                &path,
                Some(user),
                Some(json!({"title": format!("by {user}")})),
            )
            .await;
        if may_write {
            assert_eq!(upload.status(), StatusCode::CREATED, "{user} upload");
            assert_eq!(patch.status(), StatusCode::OK, "{user} patch");
        } else {
            assert_problem(upload, denied).await;
            assert_problem(patch, denied).await;
            let delete = app.call(Method::DELETE, &path, Some(user), None).await;
            assert_problem(delete, denied).await;
            let restore = app
                .call(
                    Method::POST,
                    &format!("{path}/restore-deleted"),
                    Some(user),
                    None,
                )
                .await;
            assert_problem(restore, denied).await;
        }
    }
    // A document id from another project is not found through this one.
    app.create_project("beta").await;
    let other = format!(
        "/api/v1/projects/beta/documents/{}",
        doc["id"].as_str().unwrap()
    );
    assert_problem(app.get(&other, ADMIN).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.get("/api/v1/projects/alpha/documents/not-a-uuid", ADMIN)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}
