-- The search read model: one row per document, kept by the asynchronous
-- `search` projector (metadata) and the extraction workers (content).
CREATE TABLE search_documents (
    document_id   uuid        PRIMARY KEY,
    project_id    uuid        NOT NULL,
    kind          text        NOT NULL,
    title         text        NOT NULL,
    filename      text        NOT NULL,
    tags          text[]      NOT NULL,
    added_by      text        NOT NULL,
    created_at    timestamptz NOT NULL,
    deleted       boolean     NOT NULL DEFAULT false,
    revision      integer     NOT NULL,
    sha256        text        NOT NULL,
    -- Bumped whenever the content must be extracted again; a worker's
    -- result is kept only if the generation it claimed is still current.
    generation    bigint      NOT NULL DEFAULT 1,
    status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'indexed', 'failed')),
    reason        text,
    claimed_until timestamptz,
    attempts      integer     NOT NULL DEFAULT 0,
    indexed_revision integer,
    language      regconfig   NOT NULL DEFAULT 'english',
    body          text        NOT NULL DEFAULT '',
    extra         text        NOT NULL DEFAULT '',
    metadata      jsonb       NOT NULL DEFAULT '{}',
    keywords      text[]      NOT NULL DEFAULT '{}',
    tsv           tsvector    NOT NULL DEFAULT ''
);

CREATE INDEX search_documents_tsv ON search_documents USING gin (tsv);
CREATE INDEX search_documents_project ON search_documents (project_id, created_at DESC);
CREATE INDEX search_documents_pending ON search_documents (generation) WHERE status = 'pending';

-- The text search configuration of each project that does not use the
-- default (`english`); `simple` is always applied as well.
CREATE TABLE search_settings (
    project_id  uuid      PRIMARY KEY,
    language    regconfig NOT NULL
);

-- Part numbers such as A-1024 or DIN_912 as one token each (a1024, din912),
-- beside the words the parser makes of them. M8x1.25 is one token already.
CREATE FUNCTION stockage_part_numbers(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(lower(regexp_replace(m[1], '[-_]', '', 'g')), ' '), '')
    FROM regexp_matches(t, '([[:alnum:]]+(?:[-_][[:alnum:]]+)+)', 'g') AS m
    WHERE m[1] ~ '[[:alpha:]]' AND m[1] ~ '[[:digit:]]'
$$;

CREATE FUNCTION stockage_lexemes(lang regconfig, t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple', t || ' ' || stockage_part_numbers(t)) || to_tsvector(lang, t)
$$;

-- Weights: title A; tags and keywords B; extracted text C; file name
-- tokens and metadata D.
CREATE FUNCTION stockage_search_vector(lang regconfig, title text, tags text[], keywords text[], body text, extra text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(stockage_lexemes(lang, title), 'A')
        || setweight(stockage_lexemes(lang, array_to_string(tags || keywords, ' ')), 'B')
        || setweight(stockage_lexemes(lang, body), 'C')
        || setweight(stockage_lexemes(lang, extra), 'D')
$$;

-- A web-search query with its part numbers written as the index has them.
CREATE FUNCTION stockage_part_query(q text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    m text[];
BEGIN
    FOR m IN SELECT regexp_matches(q, '([[:alnum:]]+(?:[-_][[:alnum:]]+)+)', 'g') LOOP
        IF m[1] ~ '[[:alpha:]]' AND m[1] ~ '[[:digit:]]' THEN
            q := replace(q, m[1], lower(regexp_replace(m[1], '[-_]', '', 'g')));
        END IF;
    END LOOP;
    RETURN q;
END
$$;

-- The query under `simple` or any of `languages`.
CREATE FUNCTION stockage_search_query(q text, languages regconfig[]) RETURNS tsquery
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    normal text := stockage_part_query(q);
    result tsquery := websearch_to_tsquery('simple', normal);
    lang regconfig;
BEGIN
    FOREACH lang IN ARRAY languages LOOP
        result := result || websearch_to_tsquery(lang, normal);
    END LOOP;
    RETURN result;
END
$$;
