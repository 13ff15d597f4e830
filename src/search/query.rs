//! Full-text search over the `search_documents` read model: web-search
//! syntax, ranked with `ts_rank_cd` (title matches first), highlighted
//! with `ts_headline`, filtered, in keyset pages. The permission rules run
//! inside the query (`few.sql`: each match looked up; `ranked.sql`: the
//! caller's denied documents, found once, are left out), so a document
//! the caller may not read never reaches the results, the count or a
//! snippet.
use std::sync::LazyLock;

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
    /// Where `total` stops counting: `COUNT_CAP` unless set.
    pub count_cap: Option<i64>,
    /// Up to how many matches `few.sql` answers alone: `FEW` unless set
    /// (tests set it to take either path).
    pub few_matches: Option<i64>,
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

/// A page whose words match at most this many documents in the caller's
/// projects is found by `few.sql` alone (decision 0065).
const FEW: i64 = 250;

/// A statement with its filters (`-- filters.sql` in each).
fn with(sql: &str, filters: &str) -> String {
    sql.replace("-- filters.sql\n", filters)
}

const FILTERS: &str = include_str!("filters.sql");
static FEW_FILTERED: LazyLock<String> = LazyLock::new(|| with(include_str!("few.sql"), FILTERS));
/// Without filters (but the project): a plan that need not be made again
/// for every page (decision 0065).
static FEW_UNFILTERED: LazyLock<String> =
    LazyLock::new(|| with(include_str!("few.sql"), include_str!("unfiltered.sql")));
static RANKED: LazyLock<String> = LazyLock::new(|| with(include_str!("ranked.sql"), FILTERS));

/// `total` stops counting here; past it the response says the total is a
/// lower bound (decision 0053).
pub const COUNT_CAP: i64 = 1_000;

/// One page of results.
#[derive(Debug)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// Readable matches over all pages, at most the cap.
    pub total: i64,
    /// More than `total` match (the count stopped at the cap).
    pub total_is_lower_bound: bool,
    pub next: Option<SearchCursor>,
}

/// What `few.sql` answers: one row per hit, or a single row without a
/// hit; on every row the count, the matches seen (at most `FEW + 1`) and
/// the tsquery.
#[derive(sqlx::FromRow)]
struct FewRow {
    document_id: Option<Uuid>,
    project: Option<String>,
    title: Option<String>,
    revision: Option<i32>,
    kind: Option<String>,
    filename: Option<String>,
    rank: Option<f32>,
    snippet: Option<String>,
    total: i64,
    matched: i64,
    query: String,
}

impl FewRow {
    fn hit(self) -> Option<Hit> {
        Some(Hit {
            document_id: self.document_id?,
            project: self.project?,
            title: self.title?,
            revision: self.revision?,
            kind: self.kind?,
            filename: self.filename?,
            rank: self.rank?,
            snippet: self.snippet?,
        })
    }
}

/// One page of what `user` may read that matches, the number of all such
/// documents (up to the cap), and the cursor of the next page. One
/// prepared statement answers when the words match few documents; else
/// its tsquery goes to `ranked.sql`, planned for those words (how many
/// documents they match) rather than for any words.
pub async fn search(
    pool: &PgPool,
    user: &UserId,
    filter: &SearchFilter,
) -> Result<Found, sqlx::Error> {
    let options = format!(
        "StartSel={START}, StopSel={STOP}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \""
    );
    let prefix = filter.prefix.then(|| prefix::split(&filter.q)).flatten();
    let cap = filter.count_cap.unwrap_or(COUNT_CAP);
    let unfiltered = filter.kind.is_none()
        && filter.tag.is_none()
        && filter.uploader.is_none()
        && filter.from.is_none()
        && filter.to.is_none()
        && filter.state.is_none();
    let few = if unfiltered {
        &FEW_UNFILTERED
    } else {
        &FEW_FILTERED
    };
    let rows: Vec<FewRow> = bind_common(
        sqlx::query_as(sqlx::AssertSqlSafe(few.as_str())),
        user,
        filter,
        &options,
    )
    .bind(prefix.as_ref().map(|p| p.head.as_str()))
    .bind(prefix.as_ref().map(|p| p.word.as_str()))
    .bind(filter.few_matches.unwrap_or(FEW))
    .fetch_all(pool)
    .await?;
    let Some(first) = rows.first() else {
        return Err(sqlx::Error::RowNotFound);
    };
    let (mut hits, counted) = if first.matched <= filter.few_matches.unwrap_or(FEW) {
        let counted = first.total;
        (rows.into_iter().filter_map(FewRow::hit).collect(), counted)
    } else {
        let query = first.query.clone();
        many(pool, user, filter, &options, &query, cap).await?
    };
    let next = next_cursor(&mut hits, filter.limit, |hit| SearchCursor {
        rank: hit.rank,
        id: hit.document_id,
    });
    for hit in &mut hits {
        hit.snippet = html_snippet(&hit.snippet);
    }
    Ok(Found {
        hits,
        total: counted.min(cap),
        total_is_lower_bound: counted > cap,
        next,
    })
}

/// $1–$13, the same in both statements.
fn bind_common<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    user: &'q UserId,
    filter: &'q SearchFilter,
    options: &'q str,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    query
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
}

/// The page from `ranked.sql` (many matches; decision 0053): not prepared,
/// so that it is planned with its own tsquery. The hits and the count
/// (stopped at `cap + 1`).
async fn many(
    pool: &PgPool,
    user: &UserId,
    filter: &SearchFilter,
    options: &str,
    query: &str,
    cap: i64,
) -> Result<(Vec<Hit>, i64), sqlx::Error> {
    let rows: Vec<HitCounted> = bind_common(
        sqlx::query_as(sqlx::AssertSqlSafe(RANKED.as_str())),
        user,
        filter,
        options,
    )
    .bind(query)
    .bind(cap + 1)
    .persistent(false)
    .fetch_all(pool)
    .await?;
    let counted = rows.first().map_or(0, |row| row.total);
    Ok((rows.into_iter().map(|row| row.hit).collect(), counted))
}

#[derive(sqlx::FromRow)]
struct HitCounted {
    #[sqlx(flatten)]
    hit: Hit,
    total: i64,
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

/// The indexing state's columns from `search_documents s` (left-joined
/// to a document), read back by [`IndexState::from_joined`].
pub const INDEX_COLUMNS: &str = "s.document_id AS index_known, s.status AS index_status, \
     s.reason AS index_reason, s.keywords AS index_keywords, s.indexed_revision AS index_revision";

impl IndexState {
    /// The state in a row with [`INDEX_COLUMNS`]; `None` when the
    /// document has no row in `search_documents` yet.
    pub fn from_joined(row: &sqlx::postgres::PgRow) -> Result<Option<Self>, sqlx::Error> {
        use sqlx::Row;
        if row.try_get::<Option<Uuid>, _>("index_known")?.is_none() {
            return Ok(None);
        }
        Ok(Some(Self {
            status: row.try_get("index_status")?,
            reason: row.try_get("index_reason")?,
            keywords: row.try_get("index_keywords")?,
            indexed_revision: row.try_get("index_revision")?,
        }))
    }
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
