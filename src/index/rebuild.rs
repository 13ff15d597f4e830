//! Re-extracting everything (or one project): every row is marked for a
//! new generation and stays searchable with its old content until the
//! workers write the new one.
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
