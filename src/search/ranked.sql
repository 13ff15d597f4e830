-- One page of search results when the words match many documents ($14:
-- the tsquery, built by few.sql). Title matches (rank >= 1) come before
-- every other match, so they are ranked first and the rest only when they
-- do not fill the page; the count stops at $15. See
-- docs/decisions/0053-search-ranks-title-matches-first.md.
WITH hidden AS MATERIALIZED (
    -- Denied by name, denied to the caller's role and not given back by
    -- name (the rule of stockage_permission), or deleted.
    SELECT a.document_id FROM document_acl a
    JOIN project_team m ON m.project_id = a.project_id AND m.user_id = $2
    WHERE a.principal = 'user:' || $2 AND a.permission = 'none'
      AND m.role NOT IN ('owner', 'admin')
    UNION ALL
    SELECT a.document_id FROM project_team m
    JOIN document_acl a ON a.project_id = m.project_id AND a.principal = 'role:' || m.role
    WHERE m.user_id = $2 AND m.role NOT IN ('owner', 'admin') AND a.permission = 'none'
      AND NOT EXISTS (SELECT FROM document_acl u
                      WHERE u.document_id = a.document_id AND u.principal = 'user:' || $2)
    UNION ALL
    SELECT id FROM project_resources WHERE deleted_at IS NOT NULL
),
readable AS NOT MATERIALIZED (
    SELECT s.document_id, s.project_id, s.tsv
    FROM search_documents s
    JOIN project_team t ON t.project_id = s.project_id AND t.user_id = $2
    WHERE true
-- filters.sql
      AND s.document_id NOT IN (SELECT document_id FROM hidden)
),
in_title AS MATERIALIZED (
    SELECT * FROM (
        SELECT document_id, project_id, (ts_rank_cd(tsv, $14::tsquery, 32) + 1)::real AS rank
        FROM readable
        -- Both only with a negation (`-word`): then the title alone can match
        -- when the document does not. Without one, a title match is a match.
        WHERE ts_filter(tsv, '{a}') @@ $14::tsquery
          AND (strpos($14, '!') = 0 OR tsv @@ $14::tsquery)
          AND ($9::real IS NULL OR $9 >= 1)
    ) ranked
    WHERE $9::real IS NULL OR (rank, document_id) < ($9, $10)
    ORDER BY rank DESC, document_id DESC
    LIMIT $11
),
elsewhere AS (
    SELECT * FROM (
        SELECT document_id, project_id, ts_rank_cd(tsv, $14::tsquery, 32)::real AS rank
        FROM readable
        WHERE tsv @@ $14::tsquery AND NOT ts_filter(tsv, '{a}') @@ $14::tsquery
          AND (SELECT count(*) FROM in_title) < $11
    ) ranked
    WHERE $9::real IS NULL OR (rank, document_id) < ($9, $10)
    ORDER BY rank DESC, document_id DESC
    LIMIT $11
),
page AS (
    SELECT * FROM in_title
    UNION ALL
    SELECT * FROM elsewhere
    ORDER BY rank DESC, document_id DESC
    LIMIT $11
)
SELECT page.document_id, p.slug AS project, r.title, r.revision, r.kind, r.filename, page.rank,
    -- The last row only tells that there is a next page: no snippet.
    CASE WHEN row_number() OVER (ORDER BY page.rank DESC, page.document_id DESC) < $11
        THEN ts_headline(s.language, left(r.title || E'\n' || s.body || E'\n' || s.extra, 200000),
            $14::tsquery || websearch_to_tsquery('simple', $1), $12)
        ELSE '' END AS snippet,
    (SELECT count(*) FROM (SELECT FROM readable WHERE tsv @@ $14::tsquery LIMIT $15) c) AS total
FROM page
JOIN search_documents s ON s.document_id = page.document_id
JOIN project_resources r ON r.id = page.document_id
JOIN projects p ON p.id = page.project_id
ORDER BY page.rank DESC, page.document_id DESC
