-- The extracted text's part of each document's vector (weights C and D),
-- kept beside the vector so a title or tag change recomputes only the
-- title and tags (decision 0069). NULL until the row is next indexed or
-- retitled; readers go on using `tsv`.
ALTER TABLE search_documents ADD COLUMN content_tsv tsvector;

CREATE FUNCTION stockage_content_vector(lang regconfig, body text, extra text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(stockage_lexemes(lang, body), 'C') || setweight(stockage_lexemes(lang, extra), 'D')
$$;

-- Title and tags joined to a content vector: the same vector as
-- stockage_search_vector over the same parts (joining vectors is
-- associative: the content's positions come after the title's and tags'
-- either way).
CREATE FUNCTION stockage_titled_vector(lang regconfig, title text, tags text[], keywords text[], content tsvector)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(stockage_lexemes(lang, title), 'A')
        || setweight(stockage_lexemes(lang, array_to_string(tags || keywords, ' ')), 'B')
        || content
$$;
