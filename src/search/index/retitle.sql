-- New titles and tags ($2, $3: NULL keeps what the row has) of the
-- documents $1: each vector is joined again from the title, the tags and the
-- content vector the row keeps. `OFFSET 0` keeps `c` a subquery of its own:
-- pulled up, its tags' ARRAY(SELECT …) would be an argument of
-- stockage_lexemes, which PostgreSQL then calls rather than inlines
-- (decision 0074).
UPDATE search_documents s SET title = coalesce(c.title, s.title), tags = coalesce(c.tags, s.tags),
    content_tsv = coalesce(s.content_tsv, stockage_content_vector(s.language, s.body, s.extra)),
    tsv = stockage_titled_vector(s.language, coalesce(c.title, s.title), coalesce(c.tags, s.tags),
        s.keywords, coalesce(s.content_tsv, stockage_content_vector(s.language, s.body, s.extra)))
FROM (SELECT id, title, CASE WHEN tags IS NULL THEN NULL
                             ELSE ARRAY(SELECT jsonb_array_elements_text(tags)) END AS tags
      FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS u(id, title, tags) OFFSET 0) c
WHERE s.document_id = c.id
