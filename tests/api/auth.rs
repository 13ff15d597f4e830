use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{ADMIN, assert_problem, spawn_app};

/// Every endpoint that needs a caller, with a body it would accept.
fn endpoints() -> Vec<(Method, &'static str)> {
    vec![
        (Method::GET, "/api/v1/projects"),
        (Method::POST, "/api/v1/projects"),
        (Method::GET, "/api/v1/projects/alpha"),
        (Method::GET, "/api/v1/projects/alpha/members"),
        (Method::PUT, "/api/v1/projects/alpha/members/bob"),
        (Method::DELETE, "/api/v1/projects/alpha/members/bob"),
        (Method::GET, "/metrics"),
    ]
}

fn forged_token() -> String {
    let keys = stockage::identity::Keys::new(&stockage::env::Secret::new(
        "another secret, 32 bytes or longer!".into(),
    ));
    keys.issue(
        &stockage_events::UserId::parse(ADMIN).unwrap(),
        None,
        true,
        std::time::Duration::from_secs(600),
    )
}

fn expired_token() -> String {
    let claims = stockage::identity::Claims {
        sub: ADMIN.into(),
        exp: 1_600_000_000,
        iat: None,
        name: None,
        admin: true,
        iss: None,
        aud: None,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::SECRET.as_bytes()),
    )
    .unwrap()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn every_endpoint_answers_401_without_a_valid_token(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let bad_headers = [
        None,
        Some("Bearer".to_owned()),
        Some("Basic b2xnYTpwdw==".to_owned()),
        Some("Bearer not-a-jwt".to_owned()),
        Some(format!("Bearer {}", forged_token())),
        Some(format!("Bearer {}", expired_token())),
    ];
    for (method, path) in endpoints() {
        for header in &bad_headers {
            let mut request = app
                .client
                .request(method.clone(), format!("{}{path}", app.address))
                .json(&json!({"slug": "beta", "title": "B", "role": "viewer"}));
            if let Some(header) = header {
                request = request.header("Authorization", header);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.headers()["www-authenticate"],
                "Bearer",
                "{method} {path}"
            );
            let detail = assert_problem(response, StatusCode::UNAUTHORIZED).await;
            assert!(!detail.contains("secret"), "{detail}");
        }
    }
    // Nothing was changed by any of those calls.
    let members: i64 = sqlx::query_scalar("SELECT count(*) FROM project_team")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(members, 1);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn health_and_readiness_need_no_token(pool: PgPool) {
    let app = spawn_app(pool).await;
    for path in ["/healthz", "/readyz"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_non_member_cannot_tell_a_project_exists(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    for (method, path) in endpoints()
        .into_iter()
        .filter(|(_, p)| p.contains("/alpha"))
    {
        let existing = app
            .call(
                method.clone(),
                path,
                Some("stranger"),
                Some(json!({"role": "viewer"})),
            )
            .await;
        let existing = assert_problem(existing, StatusCode::NOT_FOUND).await;
        let missing_path = path.replace("alpha", "nowhere");
        let missing = app
            .call(
                method.clone(),
                &missing_path,
                Some("stranger"),
                Some(json!({"role": "viewer"})),
            )
            .await;
        let missing = assert_problem(missing, StatusCode::NOT_FOUND).await;
        assert_eq!(
            existing.replace("alpha", "nowhere"),
            missing,
            "{method} {path}"
        );
    }
    let listed = app
        .get("/api/v1/projects", "stranger")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn creating_a_project_needs_the_admin_claim(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app
        .call(
            Method::POST,
            "/api/v1/projects",
            Some("bob"),
            Some(json!({"slug": "beta", "title": "B"})),
        )
        .await;
    let detail = assert_problem(response, StatusCode::FORBIDDEN).await;
    assert!(detail.contains("admin"), "{detail}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn only_admins_and_owners_manage_members(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    for (user, role) in [("vic", "viewer"), ("eda", "editor"), ("adam", "admin")] {
        assert_eq!(
            app.set_member("alpha", ADMIN, user, role).await.status(),
            StatusCode::OK
        );
    }
    // Viewer and editor: 403 on every change, and nothing changes.
    for actor in ["vic", "eda"] {
        let put = app.set_member("alpha", actor, "newbie", "viewer").await;
        assert_problem(put, StatusCode::FORBIDDEN).await;
        let delete = app.remove_member("alpha", actor, "adam").await;
        assert_problem(delete, StatusCode::FORBIDDEN).await;
    }
    // An admin manages non-owners but cannot touch the owner role.
    assert_eq!(
        app.set_member("alpha", "adam", "newbie", "editor")
            .await
            .status(),
        StatusCode::OK
    );
    let delete = app
        .call(
            Method::DELETE,
            "/api/v1/projects/alpha/members/newbie",
            Some("adam"),
            None,
        )
        .await;
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.set_member("alpha", "adam", "eda", "owner").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.set_member("alpha", "adam", ADMIN, "viewer").await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let members: Vec<(String, String)> =
        sqlx::query_as("SELECT user_id, role FROM project_team ORDER BY user_id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let expected = [
        ("adam", "admin"),
        ("eda", "editor"),
        (ADMIN, "owner"),
        ("vic", "viewer"),
    ];
    assert_eq!(members, expected.map(|(u, r)| (u.to_owned(), r.to_owned())));
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_last_owner_can_be_neither_removed_nor_demoted(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    let demote = assert_problem(
        app.set_member("alpha", ADMIN, ADMIN, "admin").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(demote.contains("last owner"), "{demote}");
    let remove = app
        .call(
            Method::DELETE,
            &format!("/api/v1/projects/alpha/members/{ADMIN}"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_problem(remove, StatusCode::CONFLICT).await;

    // With a second owner, the first may step down.
    assert_eq!(
        app.set_member("alpha", ADMIN, "otto", "owner")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.set_member("alpha", ADMIN, ADMIN, "editor")
            .await
            .status(),
        StatusCode::OK
    );
    let remove = app
        .call(
            Method::DELETE,
            "/api/v1/projects/alpha/members/otto",
            Some("otto"),
            None,
        )
        .await;
    assert_problem(remove, StatusCode::CONFLICT).await;
}
