//! Tokens a platform issues: RS256/ES256 checked against its JWKS (a URL
//! or a file), key rotation, issuer and audience, the claims it names; a
//! token minted by Django's djangorestframework-simplejwt.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use stockage::identity::JwksSource;

use crate::helpers::{ADMIN, assert_problem, spawn_app_configured};
use crate::subscriber::Connect;

const ISSUER: &str = "https://keenkonnect.example";
const AUDIENCE: &str = "stockage";

fn key_path(name: &str) -> String {
    format!("{}/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn private_key(name: &str, alg: Algorithm) -> EncodingKey {
    let pem = std::fs::read(key_path(name)).unwrap();
    match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    }
}

/// The public half of a fixture key as a JWK named `kid`.
fn jwk(name: &str, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(&private_key(name, alg), alg).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk
}

fn sign(name: &str, alg: Algorithm, kid: Option<&str>, claims: Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, &claims, &private_key(name, alg)).unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(user_id: Value) -> Value {
    json!({"user_id": user_id, "exp": now() + 300, "iss": ISSUER, "aud": AUDIENCE, "is_staff": true})
}

/// A platform's JWKS endpoint on a free loopback port, counting fetches.
struct Platform {
    url: String,
    keys: Arc<Mutex<JwkSet>>,
    fetches: Arc<AtomicUsize>,
}

async fn platform(keys: Vec<Jwk>) -> Platform {
    let keys = Arc::new(Mutex::new(JwkSet { keys }));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (served, counted) = (keys.clone(), fetches.clone());
    let server = actix_web::HttpServer::new(move || {
        let (served, counted) = (served.clone(), counted.clone());
        actix_web::App::new().route(
            "/jwks.json",
            actix_web::web::get().to(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                let body = serde_json::to_string(&*served.lock().unwrap()).unwrap();
                async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/jwks.json", server.addrs()[0]);
    tokio::spawn(server.run());
    Platform { url, keys, fetches }
}

async fn app_trusting(pool: PgPool, jwks: JwksSource) -> crate::helpers::TestApp {
    spawn_app_configured(pool, |s| {
        s.auth.jwks = Some(jwks);
        s.auth.issuer = Some(ISSUER.into());
        s.auth.audience = Some(AUDIENCE.into());
        s.auth.user_claim = "user_id".into();
        s.auth.admin_claim = "is_staff".into();
    })
    .await
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn an_unknown_key_id_triggers_one_jwks_refresh(pool: PgPool) {
    let platform = platform(vec![jwk("rsa-1.pem", Algorithm::RS256, "k1")]).await;
    let app = app_trusting(pool, JwksSource::Url(platform.url.clone())).await;
    let first = sign("rsa-1.pem", Algorithm::RS256, Some("k1"), claims(json!(7)));
    for _ in 0..3 {
        let me = app
            .with_token(Method::GET, "/api/v1/me", &first, None)
            .await;
        assert_eq!(me.status(), StatusCode::OK);
        let me: Value = me.json().await.unwrap();
        assert_eq!(
            (me["user"].as_str(), me["admin"].as_bool()),
            (Some("7"), Some(true))
        );
    }
    assert_eq!(
        platform.fetches.load(Ordering::SeqCst),
        1,
        "the key set is cached"
    );

    // The platform rotates to k2: the first k2 token makes one fetch.
    platform
        .keys
        .lock()
        .unwrap()
        .keys
        .push(jwk("rsa-2.pem", Algorithm::RS256, "k2"));
    let rotated = sign("rsa-2.pem", Algorithm::RS256, Some("k2"), claims(json!(8)));
    for _ in 0..3 {
        let response = app
            .with_token(
                Method::POST,
                "/api/v1/projects",
                &rotated,
                Some(json!({"slug": format!("p{}", now() % 1000), "title": "P"})),
            )
            .await;
        assert!(
            response.status() == StatusCode::CREATED || response.status() == StatusCode::CONFLICT
        );
    }
    assert_eq!(platform.fetches.load(Ordering::SeqCst), 2);

    // A made-up key id: refused, and it cannot make the server fetch again
    // and again.
    let unknown = sign("rsa-2.pem", Algorithm::RS256, Some("k9"), claims(json!(8)));
    for _ in 0..5 {
        let response = app
            .with_token(Method::GET, "/api/v1/me", &unknown, None)
            .await;
        let detail = assert_problem(response, StatusCode::UNAUTHORIZED).await;
        assert!(detail.contains("k9"), "{detail}");
    }
    assert!(platform.fetches.load(Ordering::SeqCst) <= 3);
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn wrong_issuer_audience_or_signature_is_refused(pool: PgPool) {
    let dir = std::env::temp_dir().join(format!("stockage-jwks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("jwks.json");
    let set = JwkSet {
        keys: vec![
            jwk("ec-1.pem", Algorithm::ES256, "ec"),
            jwk("rsa-1.pem", Algorithm::RS256, "rsa"),
        ],
    };
    std::fs::write(&file, serde_json::to_vec(&set).unwrap()).unwrap();
    let app = app_trusting(pool, JwksSource::File(file)).await;
    let good = sign(
        "ec-1.pem",
        Algorithm::ES256,
        Some("ec"),
        claims(json!("12")),
    );
    assert_eq!(
        app.with_token(Method::GET, "/api/v1/me", &good, None)
            .await
            .status(),
        StatusCode::OK
    );

    let mut wrong_iss = claims(json!(12));
    wrong_iss["iss"] = "https://elsewhere.example".into();
    let mut wrong_aud = claims(json!(12));
    wrong_aud["aud"] = "another-service".into();
    let mut no_aud = claims(json!(12));
    no_aud.as_object_mut().unwrap().remove("aud");
    let mut early = claims(json!(12));
    early["nbf"] = (now() + 3_600).into();
    let cases = [
        (
            sign("ec-1.pem", Algorithm::ES256, Some("ec"), wrong_iss),
            "issuer",
        ),
        (
            sign("ec-1.pem", Algorithm::ES256, Some("ec"), wrong_aud),
            "audience",
        ),
        (
            sign("ec-1.pem", Algorithm::ES256, Some("ec"), no_aud),
            "\"aud\"",
        ),
        (
            sign("ec-1.pem", Algorithm::ES256, Some("ec"), early),
            "not valid yet",
        ),
        // Signed by a key the platform never published, under a published kid.
        (
            sign(
                "rsa-2.pem",
                Algorithm::RS256,
                Some("rsa"),
                claims(json!(12)),
            ),
            "signature",
        ),
    ];
    for (token, why) in cases {
        let detail = assert_problem(
            app.with_token(Method::GET, "/api/v1/me", &token, None)
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert!(detail.contains(why), "{why}: {detail}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_token_minted_by_django_simplejwt_is_accepted_as_it_is(pool: PgPool) {
    let python = std::env::var("STOCKAGE_TEST_PYTHON")
        .expect("STOCKAGE_TEST_PYTHON is not set: eval \"$(scripts/python-env)\" first");
    let script = format!(
        "{}/tests/python/simplejwt_token.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let output = tokio::process::Command::new(python)
        .args([&script, &key_path("rsa-1.pem"), "42", ISSUER, AUDIENCE])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    // simplejwt names no key id: the platform publishes its one key.
    let mut key = jwk("rsa-1.pem", Algorithm::RS256, "unused");
    key.common.key_id = None;
    let platform = platform(vec![key]).await;
    let app = app_trusting(pool, JwksSource::Url(platform.url.clone())).await;
    app.create_project("alpha").await;
    app.set_member("alpha", ADMIN, "42", "editor").await;
    let projects = app
        .with_token(Method::GET, "/api/v1/projects", &token, None)
        .await;
    assert_eq!(projects.status(), StatusCode::OK);
    let projects: Value = projects.json().await.unwrap();
    assert_eq!(projects["items"][0]["slug"], "alpha");
    assert_eq!(projects["items"][0]["my_role"], "editor");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn a_websocket_is_closed_when_its_token_expires(pool: PgPool) {
    let app = spawn_app_configured(pool, |_| {}).await;
    app.create_project("alpha").await;
    let claims = json!({"sub": ADMIN, "exp": now() + 2});
    let token = app.keys.sign(&claims);
    let Connect::Open(mut socket) = app
        .subscribe_with_query("alpha", &format!("?access_token={token}"))
        .await
    else {
        panic!("the token was refused");
    };
    // Nothing but the close arrives; it comes at the expiry, not at a ping.
    assert!(socket.next_frame(Duration::from_secs(15)).await.is_none());
    let close = socket.closed.clone().flatten().expect("a close frame");
    assert_eq!(u16::from(close.code), 4401);
    assert!(
        close.reason.contains("expired") && close.reason.contains("after="),
        "{}",
        close.reason
    );
}
