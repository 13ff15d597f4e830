//! Connecting to PostgreSQL: create the database if missing, migrate.
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Opens a pool on `url`, creating the database and running migrations
/// first, so a fresh machine needs nothing but a PostgreSQL server.
pub async fn connect(url: &str) -> anyhow::Result<PgPool> {
    let url = &with_default_user(url, std::env::var("PGUSER").ok());
    let options =
        PgConnectOptions::from_str(url).context("DATABASE_URL is not a valid PostgreSQL URL")?;
    let exists = Postgres::database_exists(url)
        .await
        .context("cannot reach PostgreSQL (is it running? see DATABASE_URL)")?;
    if !exists {
        Postgres::create_database(url)
            .await
            .context("cannot create the database")?;
        tracing::info!(database = options.get_database(), "created database");
    }
    let pool = pool_options()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .context("cannot connect to the database")?;
    if !schema_is_current(&pool).await {
        MIGRATOR.run(&pool).await.context(
            "cannot run database migrations (a runtime role without DDL rights \
             needs the owner role to run `stockage migrate` first)",
        )?;
    }
    Ok(pool)
}

/// Pool options of the server's pools: a connection is pinged before it is
/// handed out only when it sat idle for a second or more (sqlx pings on
/// every checkout by default: one round trip before each request's first
/// query). A connection lost while busier than that fails its statement,
/// which answers 503 with `Retry-After`, and sqlx drops it on release.
pub fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= Duration::from_secs(1) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// Runs every pending migration: for the owner role of a least-privilege
/// setup, whose runtime role cannot (see the README).
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    let pool = connect(url).await?;
    MIGRATOR
        .run(&pool)
        .await
        .context("cannot run database migrations")?;
    Ok(())
}

/// Whether every migration this program knows is applied, with the same
/// checksum: then the server starts without DDL rights (a runtime role
/// that may only read `_sqlx_migrations`).
async fn schema_is_current(pool: &PgPool) -> bool {
    let applied: Result<Vec<(i64, Vec<u8>)>, sqlx::Error> = sqlx::query_as(
        "SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version",
    )
    .fetch_all(pool)
    .await;
    let Ok(applied) = applied else {
        return false;
    };
    let known: Vec<(i64, Vec<u8>)> = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| (m.version, m.checksum.to_vec()))
        .collect();
    applied == known
}

/// A URL without a user name connects as `PGUSER`, or else as `postgres`,
/// the role every PostgreSQL install has (libpq would use the login name,
/// which service environments often lack).
fn with_default_user(url: &str, pguser: Option<String>) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') || pguser.is_some() {
        return url.to_owned();
    }
    format!("{scheme}://postgres@{rest}")
}

#[cfg(test)]
mod tests {
    use super::with_default_user;

    #[test]
    fn user_is_filled_in_only_when_missing() {
        assert_eq!(
            with_default_user("postgres://127.0.0.1:5432/stockage", None),
            "postgres://postgres@127.0.0.1:5432/stockage"
        );
        let explicit = "postgres://ann:pw@db:5432/x?sslmode=disable";
        assert_eq!(with_default_user(explicit, None), explicit);
        let plain = "postgres://127.0.0.1/x";
        assert_eq!(with_default_user(plain, Some("ann".into())), plain);
    }
}
