-- One page of search results when the words match few documents (at most
-- $16 in the caller's projects): every match is ranked and its permission
-- looked up on its own, in one prepared statement that builds the tsquery
-- too. Past $16 it returns no hit, only `matched` and `query`, and the
-- page comes from ranked.sql. See docs/decisions/0065-few-matches-in-one-statement.md.
WITH q AS MATERIALIZED (
    -- The query under `simple` and every project language; with a prefix
    -- ($15), the words before it ($14) and the prefix itself.
    SELECT CASE
        WHEN $15::text IS NULL THEN stockage_search_query($1, l)
        WHEN $14 = '' THEN to_tsquery('simple', quote_literal($15) || ':*')
        ELSE stockage_search_query($14, l) && to_tsquery('simple', quote_literal($15) || ':*')
    END AS q
    FROM (SELECT ARRAY['english'::regconfig]
                 || ARRAY(SELECT DISTINCT language FROM search_settings) AS l) languages
),
matches AS MATERIALIZED (
    SELECT s.document_id, s.project_id, s.tsv
    FROM search_documents s
    WHERE s.tsv @@ (SELECT q FROM q)
      -- A scalar subquery, not a join: the plan, generic after a few runs,
      -- must not AND the words' bitmap with a whole project's.
      AND (SELECT true FROM project_team t WHERE t.project_id = s.project_id AND t.user_id = $2)
-- filters.sql
    LIMIT $16 + 1
),
readable AS MATERIALIZED (
    SELECT m.document_id, m.project_id,
        (ts_rank_cd(m.tsv, (SELECT q FROM q), 32)
         + (ts_filter(m.tsv, '{a}') @@ (SELECT q FROM q))::int)::real AS rank
    FROM matches m
    JOIN project_team t ON t.project_id = m.project_id AND t.user_id = $2
    WHERE (SELECT count(*) FROM matches) <= $16
      -- stockage_permission, written out: a SQL function with subqueries
      -- is never inlined, and calling it costs tens of microseconds a row.
      AND (t.role IN ('owner', 'admin') OR coalesce(
            (SELECT a.permission FROM document_acl a
             WHERE a.document_id = m.document_id AND a.principal = 'user:' || $2),
            (SELECT a.permission FROM document_acl a
             WHERE a.document_id = m.document_id AND a.principal = 'role:' || t.role)
          ) IS DISTINCT FROM 'none')
      AND NOT EXISTS (SELECT FROM project_resources r
                      WHERE r.id = m.document_id AND r.deleted_at IS NOT NULL)
),
page AS (
    SELECT * FROM readable
    WHERE $9::real IS NULL OR (rank, document_id) < ($9, $10)
    ORDER BY rank DESC, document_id DESC
    LIMIT $11
)
SELECT page.document_id, p.slug AS project, r.title, r.revision, r.kind, r.filename, page.rank,
    -- The last row only tells that there is a next page: no snippet.
    CASE WHEN row_number() OVER (ORDER BY page.rank DESC, page.document_id DESC) < $11
        THEN ts_headline(s.language, left(r.title || E'\n' || s.body || E'\n' || s.extra, 200000),
            (SELECT q FROM q) || websearch_to_tsquery('simple', $1), $12)
        ELSE '' END AS snippet,
    (SELECT count(*) FROM readable) AS total,
    (SELECT count(*) FROM matches) AS matched,
    (SELECT q FROM q)::text AS query
FROM (SELECT) one
LEFT JOIN (page
    JOIN search_documents s ON s.document_id = page.document_id
    JOIN project_resources r ON r.id = page.document_id
    JOIN projects p ON p.id = page.project_id) ON true
ORDER BY page.rank DESC, page.document_id DESC
