//! The permission matrix: project roles × document ACL situations × every
//! document endpoint. The expected permission of each cell is written out
//! below from the rules (user entry > role entry > role default; `none`
//! denies; owners and project admins always admin; non-members nothing),
//! not computed.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{ADMIN, TestApp, fixture, spawn_app};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum P {
    None,
    Read,
    Write,
    Admin,
}

const ALL_ROLES_DENIED: [(&str, &str); 4] = [
    ("role:viewer", "none"),
    ("role:editor", "none"),
    ("role:admin", "none"),
    ("role:owner", "none"),
];

/// The ACL of each situation, for tested user `u`.
fn situation(name: &str, u: &str) -> Vec<(String, &'static str)> {
    let user = format!("user:{u}");
    let own = |entries: &[(&str, &'static str)]| {
        entries
            .iter()
            .map(|(p, q)| (p.to_string(), *q))
            .collect::<Vec<_>>()
    };
    match name {
        "no entries" => vec![],
        "user read" => vec![(user, "read")],
        "user write" => vec![(user, "write")],
        "user admin" => vec![(user, "admin")],
        "user deny" => vec![(user, "none")],
        "role grant" => own(&[("role:viewer", "write"), ("role:editor", "admin")]),
        "role deny" => own(&ALL_ROLES_DENIED),
        "user over role" => {
            let mut entries = own(&ALL_ROLES_DENIED);
            entries.push((user, "write"));
            entries
        }
        other => panic!("unknown situation {other}"),
    }
}

const SITUATIONS: [&str; 8] = [
    "no entries",
    "user read",
    "user write",
    "user admin",
    "user deny",
    "role grant",
    "role deny",
    "user over role",
];

/// (user, their role, the expected permission in each situation above).
fn expectations() -> Vec<(&'static str, &'static str, [P; 8])> {
    use P::*;
    vec![
        (
            "stranger",
            "non-member",
            [None, None, None, None, None, None, None, None],
        ),
        (
            "vic",
            "viewer",
            [Read, Read, Write, Admin, None, Write, None, Write],
        ),
        (
            "eda",
            "editor",
            [Write, Read, Write, Admin, None, Admin, None, Write],
        ),
        (
            "adam",
            "admin",
            [Admin, Admin, Admin, Admin, Admin, Admin, Admin, Admin],
        ),
        (
            ADMIN,
            "owner",
            [Admin, Admin, Admin, Admin, Admin, Admin, Admin, Admin],
        ),
    ]
}

/// The status a request needing `need` gets from a caller with `have`.
fn expected(have: P, need: P, ok: StatusCode) -> StatusCode {
    if have >= need {
        ok
    } else if have == P::None {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::FORBIDDEN
    }
}

pub(crate) async fn set_acl(app: &TestApp, doc: &str, entries: &[(String, &str)]) {
    let body = json!({"entries": entries.iter().map(|(p, q)| json!({"principal": p, "permission": q})).collect::<Vec<_>>()});
    let response = app
        .call(Method::PUT, &format!("{doc}/acl"), Some(ADMIN), Some(body))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn status(
    app: &TestApp,
    method: Method,
    path: &str,
    user: &str,
    body: Option<Value>,
) -> StatusCode {
    app.call(method, path, Some(user), body).await.status()
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn every_role_in_every_acl_situation_on_every_document_endpoint(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.create_project("alpha").await;
    for (user, role) in [("vic", "viewer"), ("eda", "editor"), ("adam", "admin")] {
        assert_eq!(
            app.set_member("alpha", ADMIN, user, role).await.status(),
            StatusCode::OK
        );
    }
    let created: Value = app
        .uploaded("alpha", ADMIN, "photo.png", fixture("photo.png"))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let doc = format!("/api/v1/projects/alpha/documents/{id}");

    for (user, role, permissions) in expectations() {
        for (name, have) in SITUATIONS.into_iter().zip(permissions) {
            let cell = format!("{user} ({role}), {name}");
            let entries = situation(name, user);
            set_acl(&app, &doc, &entries).await;

            // Reads.
            let listed = app.get("/api/v1/projects/alpha/documents", user).await;
            if role == "non-member" {
                assert_eq!(listed.status(), StatusCode::NOT_FOUND, "{cell}: list");
            } else {
                let listed: Value = listed.json().await.unwrap();
                let ids: Vec<&str> = listed["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["id"].as_str().unwrap())
                    .collect();
                assert_eq!(ids.contains(&id.as_str()), have >= P::Read, "{cell}: list");
            }
            for read in [
                doc.clone(),
                format!("{doc}/content"),
                format!("{doc}/permissions"),
                format!("{doc}/revisions"),
                format!("{doc}/revisions/1/content"),
                format!("{doc}/diff?from=1&to=1"),
            ] {
                let got = status(&app, Method::GET, &read, user, None).await;
                assert_eq!(
                    got,
                    expected(have, P::Read, StatusCode::OK),
                    "{cell}: GET {read}"
                );
            }

            // Writes.
            let patch = status(
                &app,
                Method::PATCH,
                &doc,
                user,
                Some(json!({"title": format!("t {cell}")})),
            )
            .await;
            assert_eq!(
                patch,
                expected(have, P::Write, StatusCode::OK),
                "{cell}: PATCH"
            );
            let content = app
                .put_content(&doc, user, fixture("photo_v2.png"), None, None)
                .await
                .status();
            assert_eq!(
                content,
                expected(have, P::Write, StatusCode::CREATED),
                "{cell}: PUT content"
            );
            let label = status(
                &app,
                Method::PATCH,
                &format!("{doc}/revisions/1"),
                user,
                Some(json!({"label": "x"})),
            )
            .await;
            assert_eq!(
                label,
                expected(have, P::Write, StatusCode::OK),
                "{cell}: label"
            );
            let restore_revision = status(
                &app,
                Method::POST,
                &format!("{doc}/revisions/1/restore"),
                user,
                None,
            )
            .await;
            assert_eq!(
                restore_revision,
                expected(have, P::Write, StatusCode::CREATED),
                "{cell}: restore revision"
            );
            let delete = status(&app, Method::DELETE, &doc, user, None).await;
            assert_eq!(
                delete,
                expected(have, P::Write, StatusCode::NO_CONTENT),
                "{cell}: DELETE"
            );
            if delete != StatusCode::NO_CONTENT {
                assert_eq!(
                    status(&app, Method::DELETE, &doc, ADMIN, None).await,
                    StatusCode::NO_CONTENT
                );
            }
            let restore = status(
                &app,
                Method::POST,
                &format!("{doc}/restore-deleted"),
                user,
                None,
            )
            .await;
            assert_eq!(
                restore,
                expected(have, P::Write, StatusCode::OK),
                "{cell}: restore-deleted"
            );
            if restore != StatusCode::OK {
                let by_owner = status(
                    &app,
                    Method::POST,
                    &format!("{doc}/restore-deleted"),
                    ADMIN,
                    None,
                )
                .await;
                assert_eq!(by_owner, StatusCode::OK);
            }

            // Administration.
            let acl = status(&app, Method::GET, &format!("{doc}/acl"), user, None).await;
            assert_eq!(
                acl,
                expected(have, P::Admin, StatusCode::OK),
                "{cell}: GET acl"
            );
            let same = json!({"entries": entries.iter().map(|(p, q)| json!({"principal": p, "permission": q})).collect::<Vec<_>>()});
            let put = status(&app, Method::PUT, &format!("{doc}/acl"), user, Some(same)).await;
            assert_eq!(
                put,
                expected(have, P::Admin, StatusCode::OK),
                "{cell}: PUT acl"
            );
            let other = status(
                &app,
                Method::GET,
                &format!("{doc}/permissions?user=vic"),
                user,
                None,
            )
            .await;
            let need = if user == "vic" { P::Read } else { P::Admin };
            assert_eq!(
                other,
                expected(have, need, StatusCode::OK),
                "{cell}: permissions of another user"
            );
        }
    }
}
