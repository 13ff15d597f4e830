//! Full-text search over the `search_documents` read model: web-search
//! syntax, ranked with `ts_rank_cd` (title matches first), highlighted
//! with `ts_headline`, filtered, in keyset pages. The permission rules run
//! inside the query, so a document the caller may not read never reaches
//! the results, the count or a snippet.
use sqlx::PgPool;
use stockage_events::{FileKind, LifecycleState, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use super::prefix;
use crate::error::Error;
use crate::paging::next_cursor;

/// Highlight markers ts_headline puts around matches; the extracted text
/// holds no control characters, so these cannot come from a document.
const START: char = '\u{2}';
const STOP: char = '\u{3}';

#[derive(Debug, Default)]
pub struct SearchFilter {
    pub q: String,
    pub project: Option<Uuid>,
    pub kind: Option<FileKind>,
    pub tag: Option<String>,
    pub uploader: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub state: Option<LifecycleState>,
    /// The last word also matches words that begin with it (while typing).
    pub prefix: bool,
    pub after: Option<SearchCursor>,
    pub limit: i64,
}

/// A keyset position: by rank, then id, both descending.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchCursor {
    pub rank: f32,
    pub id: Uuid,
}

impl SearchCursor {
    pub fn encode(&self) -> String {
        format!("{:08x}_{}", self.rank.to_bits(), self.id.simple())
    }

    pub fn parse(raw: &str) -> Result<Self, Error> {
        let bad = || Error::Invalid(format!("cursor {raw:?} is not one this server gave out"));
        let (bits, id) = raw.split_once('_').ok_or_else(bad)?;
        let rank = f32::from_bits(u32::from_str_radix(bits, 16).map_err(|_| bad())?);
        if !rank.is_finite() {
            return Err(bad());
        }
        Ok(Self {
            rank,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct Hit {
    pub document_id: Uuid,
    pub project: String,
    pub title: String,
    pub revision: i32,
    pub kind: String,
    pub filename: String,
    pub rank: f32,
    pub snippet: String,
}

const SEARCH: &str = "
WITH languages AS MATERIALIZED (
    SELECT ARRAY['english'::regconfig] || ARRAY(SELECT DISTINCT language FROM search_settings) AS l
),
query AS MATERIALIZED (
    SELECT CASE
        WHEN $15::text IS NULL THEN stockage_search_query($1, (SELECT l FROM languages))
        WHEN $14 = '' THEN to_tsquery('simple', quote_literal($15) || ':*')
        ELSE stockage_search_query($14, (SELECT l FROM languages)) && to_tsquery('simple', quote_literal($15) || ':*')
    END AS q
),
readable AS MATERIALIZED (
    SELECT s.document_id, p.slug, r.title, r.revision, r.kind, r.filename,
        (ts_rank_cd(s.tsv, (SELECT q FROM query), 32)
            + (ts_filter(s.tsv, '{a}') @@ (SELECT q FROM query))::int)::real AS rank
    FROM search_documents s
    JOIN project_team t ON t.project_id = s.project_id AND t.user_id = $2
    JOIN project_resources r ON r.id = s.document_id AND r.deleted_at IS NULL
    JOIN projects p ON p.id = s.project_id
    WHERE s.tsv @@ (SELECT q FROM query)
      AND ($3::uuid IS NULL OR s.project_id = $3)
      AND ($4::text IS NULL OR r.kind = $4)
      AND ($5::text IS NULL OR $5 = ANY (r.tags))
      AND ($6::text IS NULL OR r.added_by = $6)
      AND ($7::timestamptz IS NULL OR r.created_at >= $7)
      AND ($8::timestamptz IS NULL OR r.created_at < $8)
      AND ($13::text IS NULL OR coalesce((SELECT w.state FROM document_workflow w
                                          WHERE w.document_id = s.document_id), 'wip') = $13)
      AND stockage_permission(s.document_id, $2, t.role) <> 'none'
),
page AS (
    SELECT * FROM readable
    WHERE $9::real IS NULL OR (rank, document_id) < ($9, $10)
    ORDER BY rank DESC, document_id DESC
    LIMIT $11
)
SELECT page.document_id, page.slug AS project, page.title, page.revision, page.kind, page.filename, page.rank,
    ts_headline(s.language, left(page.title || E'\\n' || s.body || E'\\n' || s.extra, 200000),
        (SELECT q FROM query) || websearch_to_tsquery('simple', $1), $12) AS snippet,
    (SELECT count(*) FROM readable) AS total
FROM page JOIN search_documents s ON s.document_id = page.document_id
ORDER BY page.rank DESC, page.document_id DESC";

/// One page of what `user` may read that matches, the number of all such
/// documents, and the cursor of the next page.
pub async fn search(
    pool: &PgPool,
    user: &UserId,
    filter: &SearchFilter,
) -> Result<(Vec<Hit>, i64, Option<SearchCursor>), sqlx::Error> {
    let options = format!(
        "StartSel={START}, StopSel={STOP}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \""
    );
    // $14/$15: the words before the last one and the last one as a prefix.
    let prefix = filter.prefix.then(|| prefix::split(&filter.q)).flatten();
    let rows: Vec<(Hit, i64)> = sqlx::query(SEARCH)
        .bind(&filter.q)
        .bind(user.as_str())
        .bind(filter.project)
        .bind(filter.kind.map(FileKind::as_str))
        .bind(&filter.tag)
        .bind(&filter.uploader)
        .bind(filter.from)
        .bind(filter.to)
        .bind(filter.after.map(|c| c.rank))
        .bind(filter.after.map(|c| c.id))
        .bind(filter.limit + 1)
        .bind(options)
        .bind(filter.state.map(LifecycleState::as_str))
        .bind(prefix.as_ref().map(|p| p.head.as_str()))
        .bind(prefix.as_ref().map(|p| p.word.as_str()))
        .try_map(|row: sqlx::postgres::PgRow| {
            use sqlx::{FromRow, Row};
            Ok((Hit::from_row(&row)?, row.try_get("total")?))
        })
        .fetch_all(pool)
        .await?;
    let total = rows.first().map_or(0, |(_, total)| *total);
    let mut hits: Vec<Hit> = rows.into_iter().map(|(hit, _)| hit).collect();
    let next = next_cursor(&mut hits, filter.limit, |hit| SearchCursor {
        rank: hit.rank,
        id: hit.document_id,
    });
    for hit in &mut hits {
        hit.snippet = html_snippet(&hit.snippet);
    }
    Ok((hits, total, next))
}

/// The snippet as safe HTML: text escaped, matches in `<mark>`.
fn html_snippet(raw: &str) -> String {
    let mut html = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            START => html.push_str("<mark>"),
            STOP => html.push_str("</mark>"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '&' => html.push_str("&amp;"),
            '"' => html.push_str("&quot;"),
            '\n' | '\r' | '\t' => html.push(' '),
            c => html.push(c),
        }
    }
    html.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A document's indexing state, for the document view.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IndexState {
    pub status: String,
    pub reason: Option<String>,
    pub keywords: Vec<String>,
    pub indexed_revision: Option<i32>,
}

pub async fn state(pool: &PgPool, document: Uuid) -> Result<Option<IndexState>, sqlx::Error> {
    sqlx::query_as(
        "SELECT status, reason, keywords, indexed_revision FROM search_documents WHERE document_id = $1",
    )
    .bind(document)
    .fetch_optional(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_snippets_are_escaped() {
        let cursor = SearchCursor {
            rank: 1.0625,
            id: Uuid::now_v7(),
        };
        assert_eq!(SearchCursor::parse(&cursor.encode()).unwrap(), cursor);
        assert!(SearchCursor::parse("7fc00000_00000000000000000000000000000000").is_err());
        assert!(SearchCursor::parse("nope").is_err());
        assert_eq!(
            html_snippet("a <b>\u{2}bolt\u{3}</b>\n & x"),
            "a &lt;b&gt;<mark>bolt</mark>&lt;/b&gt; &amp; x"
        );
    }
}
