//! Re-extracting everything (or one project): every row is marked for a
//! new generation and stays searchable with its old content until the
//! workers write the new one. And the per-project text search language,
//! which re-weighs every document of the project at once.
use sqlx::PgPool;
use uuid::Uuid;

/// Marks the documents of `project` (all when `None`) for extraction
/// again; returns how many.
pub async fn mark(pool: &PgPool, project: Option<Uuid>) -> Result<u64, sqlx::Error> {
    let marked = sqlx::query(
        "UPDATE search_documents SET generation = generation + 1, status = 'pending', reason = NULL,
             claimed_until = NULL, attempts = 0
         WHERE $1::uuid IS NULL OR project_id = $1",
    )
    .bind(project)
    .execute(pool)
    .await?;
    Ok(marked.rows_affected())
}

/// How many documents of `project` (all when `None`) are still pending.
pub async fn pending(pool: &PgPool, project: Option<Uuid>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM search_documents WHERE status = 'pending' AND ($1::uuid IS NULL OR project_id = $1)",
    )
    .bind(project)
    .fetch_one(pool)
    .await
}

/// How many documents of `project` (all when `None`) failed extraction.
pub async fn failed(pool: &PgPool, project: Option<Uuid>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM search_documents WHERE status = 'failed' AND ($1::uuid IS NULL OR project_id = $1)",
    )
    .bind(project)
    .fetch_one(pool)
    .await
}

/// Makes `language` (a text search configuration the caller checked) the
/// project's, and re-weighs its documents; returns how many.
pub async fn set_language(
    pool: &PgPool,
    project: Uuid,
    language: &str,
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO search_settings (project_id, language) VALUES ($1, $2::regconfig)
         ON CONFLICT (project_id) DO UPDATE SET language = excluded.language",
    )
    .bind(project)
    .bind(language)
    .execute(&mut *tx)
    .await?;
    let changed = sqlx::query(
        "UPDATE search_documents s SET language = $2::regconfig, content_tsv = c.v,
             tsv = stockage_titled_vector($2::regconfig, s.title, s.tags, s.keywords, c.v)
         FROM (SELECT document_id, stockage_content_vector($2::regconfig, body, extra)
               FROM search_documents WHERE project_id = $1) AS c(id, v)
         WHERE s.document_id = c.id",
    )
    .bind(project)
    .bind(language)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(changed.rows_affected())
}
