//! The search query (title matches ranked first, the caller's denied
//! documents left out, the count capped) against a plain reference over
//! the same rows: the rank of every match as it was defined before, with
//! `stockage_permission` on each row. Same documents, same ranks, same
//! order across pages; the total is the reference's count up to the cap.
//! Each comparison runs on both paths (few matches: every match looked
//! up; many: the denied set and title matches first) and on a threshold
//! that sends some words one way and some the other.
use sqlx::PgPool;
use stockage::search::{self, SearchCursor, SearchFilter};
use stockage_events::UserId;
use uuid::Uuid;

const REFERENCE: &str = "
SELECT s.document_id, (ts_rank_cd(s.tsv, q, 32) + (ts_filter(s.tsv, '{a}') @@ q)::int)::real AS rank
FROM search_documents s
JOIN project_team t ON t.project_id = s.project_id AND t.user_id = $2
JOIN project_resources r ON r.id = s.document_id AND r.deleted_at IS NULL
CROSS JOIN stockage_search_query($1, '{english}') q
WHERE s.tsv @@ q AND stockage_permission(s.document_id, $2, t.role) <> 'none'
  AND ($3::uuid IS NULL OR s.project_id = $3)
ORDER BY rank DESC, s.document_id DESC";

const P1: Uuid = Uuid::from_u128(1);
const P2: Uuid = Uuid::from_u128(2);

/// 240 documents in two projects; the words of the queries below land in
/// titles of some and bodies of others, with many equal ranks. ACL: some
/// denied to the viewer by name, some to every viewer by role (a few of
/// those given back to the viewer by name), some to editors, some to the
/// admin (who keeps access); some documents deleted.
async fn seed(pool: &PgPool) {
    let docs = "FROM generate_series(1, 240) n, \
        LATERAL (SELECT md5('doc' || n)::uuid AS id, \
                 CASE WHEN n % 3 = 0 THEN $2::uuid ELSE $1::uuid END AS project, \
                 (ARRAY['bolt', 'nut', 'plate', 'gear'])[1 + n % 4] || ' ' \
                   || (ARRAY['washer', 'frame', 'axle'])[1 + n % 3] AS title, \
                 repeat('bolt ', n % 5) || repeat('frame ', n % 2) || 'axle gear' AS body) d";
    let statements = [
        "INSERT INTO projects (id, slug, title, status, creator, created_at, updated_at) \
         VALUES ($1, 'p1', 'P1', 'active', 'boss', now(), now()), \
                ($2, 'p2', 'P2', 'active', 'boss', now(), now())"
            .to_owned(),
        "INSERT INTO project_team VALUES ($1, 'viewer', 'viewer', now()), ($2, 'viewer', 'viewer', now()), \
         ($1, 'editor', 'editor', now()), ($1, 'boss', 'admin', now()), ($2, 'boss', 'owner', now())"
            .to_owned(),
        format!(
            "INSERT INTO project_resources (id, project_id, title, filename, kind, content_type, size, sha256, \
                 revision, tags, added_by, updated_by, created_at, updated_at, deleted_at) \
             SELECT id, project, title, 'f.stl', 'stl', 'model/stl', 1, 'x', 1, '{{}}', 'boss', 'boss', \
                 now(), now(), CASE WHEN n % 17 = 0 THEN now() END {docs}"
        ),
        format!(
            "INSERT INTO search_documents (document_id, project_id, kind, title, filename, tags, added_by, \
                 created_at, revision, sha256, status, body, tsv) \
             SELECT id, project, 'stl', title, 'f.stl', '{{}}', 'boss', now(), 1, 'x', 'indexed', body, \
                 stockage_search_vector('english', title, '{{}}', '{{}}', body, '') {docs}"
        ),
        format!(
            "INSERT INTO document_acl (document_id, project_id, principal, permission) \
             SELECT id, project, e.principal, e.permission {docs}, \
             LATERAL (VALUES ('user:viewer', CASE WHEN n % 7 = 0 THEN 'none' WHEN n % 22 = 0 THEN 'read' END), \
                             ('role:viewer', CASE WHEN n % 11 = 0 THEN 'none' END), \
                             ('role:editor', CASE WHEN n % 13 = 0 THEN 'none' END), \
                             ('user:boss', CASE WHEN n % 19 = 0 THEN 'none' END)) e(principal, permission) \
             WHERE e.permission IS NOT NULL"
        ),
    ];
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(P1)
            .bind(P2)
            .execute(pool)
            .await
            .unwrap();
    }
}

async fn reference(pool: &PgPool, q: &str, user: &str, project: Option<Uuid>) -> Vec<(Uuid, f32)> {
    sqlx::query_as(REFERENCE)
        .bind(q)
        .bind(user)
        .bind(project)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// `few.sql` answers alone (default), never (0), or for words matching at
/// most 40 of the caller's documents.
const PATHS: [Option<i64>; 3] = [None, Some(0), Some(40)];

/// Every page of `q` for `user`, 7 at a time; the totals each page gave.
async fn paged(
    pool: &PgPool,
    q: &str,
    user: &str,
    project: Option<Uuid>,
    few_matches: Option<i64>,
) -> (Vec<(Uuid, f32)>, Vec<(i64, bool)>) {
    let user = UserId::parse(user).unwrap();
    let (mut seen, mut totals) = (Vec::new(), Vec::new());
    let mut after: Option<SearchCursor> = None;
    loop {
        let filter = SearchFilter {
            q: q.to_owned(),
            project,
            after,
            limit: 7,
            count_cap: Some(25),
            few_matches,
            ..Default::default()
        };
        let found = search::search(pool, &user, &filter).await.unwrap();
        // Every hit of every page is highlighted, the last of a full page too.
        for hit in &found.hits {
            assert!(hit.snippet.contains("<mark>"), "{q}: {:?}", hit.snippet);
        }
        seen.extend(found.hits.iter().map(|h| (h.document_id, h.rank)));
        totals.push((found.total, found.total_is_lower_bound));
        match found.next {
            Some(next) => after = Some(next),
            None => return (seen, totals),
        }
    }
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn pages_match_the_reference_ranking_and_permissions(pool: PgPool) {
    seed(&pool).await;
    let mut compared = 0;
    for user in ["viewer", "editor", "boss", "stranger"] {
        for q in [
            "bolt",
            "frame",
            "gear",
            "axle",
            "nut frame",
            "washer or plate",
            "axle -bolt",
        ] {
            for (project, few) in [None, Some(P2)]
                .into_iter()
                .flat_map(|p| PATHS.map(|f| (p, f)))
            {
                let expected = reference(&pool, q, user, project).await;
                let (seen, totals) = paged(&pool, q, user, project, few).await;
                assert_eq!(seen, expected, "{user} {q} {project:?} {few:?}");
                let total = (expected.len().min(25) as i64, expected.len() > 25);
                assert!(
                    totals.iter().all(|t| *t == total),
                    "{user} {q} {project:?} {few:?} {totals:?}"
                );
                compared += expected.len();
            }
        }
    }
    // The cases above are not empty: titles, bodies, denials all occur.
    assert!(compared > 6_000, "{compared}");
    let viewer = reference(&pool, "bolt", "viewer", None).await.len();
    let boss = reference(&pool, "bolt", "boss", None).await.len();
    assert!(viewer < boss, "{viewer} {boss}");
}

#[sqlx::test(migrator = "stockage::db::MIGRATOR")]
async fn the_total_counts_readable_matches_up_to_the_cap(pool: PgPool) {
    seed(&pool).await;
    let expected = reference(&pool, "gear", "viewer", None).await.len() as i64;
    assert!(expected > 25, "{expected}");
    let viewer = UserId::parse("viewer").unwrap();
    for (cap, total, more) in [
        (Some(25), 25, true),
        (Some(expected - 1), expected - 1, true),
        (Some(expected), expected, false),
        (None, expected, false),
    ] {
        for few_matches in PATHS {
            let filter = SearchFilter {
                q: "gear".into(),
                limit: 5,
                count_cap: cap,
                few_matches,
                ..Default::default()
            };
            let found = search::search(&pool, &viewer, &filter).await.unwrap();
            assert_eq!(
                (found.total, found.total_is_lower_bound),
                (total, more),
                "cap {cap:?} {few_matches:?}"
            );
        }
    }
}
