-- Search (decision 0053). The title's lexemes (weight A) on their own, so
-- that the title matches, which rank first, are ranked without ranking
-- every match; the deleted documents and the ACL entries of one principal,
-- which search leaves out as a set rather than by a lookup per match.
CREATE INDEX search_documents_title ON search_documents USING gin (ts_filter(tsv, '{a}'));
CREATE INDEX project_resources_deleted ON project_resources (id) WHERE deleted_at IS NOT NULL;
CREATE INDEX document_acl_principal ON document_acl (principal);
