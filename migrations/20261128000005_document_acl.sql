-- Per-document ACL entries, projected inline from AclEntryGranted/Revoked.
CREATE TABLE document_acl (
    document_id  uuid NOT NULL,
    project_id   uuid NOT NULL,
    principal    text NOT NULL CHECK (principal ~ '^(user|role):.+'),
    permission   text NOT NULL CHECK (permission IN ('none', 'read', 'write', 'admin')),
    PRIMARY KEY (document_id, principal)
);

-- The effective permission, for filters inside SQL (lists, search). It
-- states the same rules as `permissions::effective` in Rust; the
-- permission matrix test checks both on every cell.
CREATE FUNCTION stockage_permission(document uuid, member text, member_role text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN member_role IS NULL THEN 'none'
        WHEN member_role = 'owner' THEN 'admin'
        ELSE coalesce(
            (SELECT a.permission FROM document_acl a
              WHERE a.document_id = document AND a.principal = 'user:' || member),
            (SELECT a.permission FROM document_acl a
              WHERE a.document_id = document AND a.principal = 'role:' || member_role),
            CASE member_role WHEN 'viewer' THEN 'read' WHEN 'editor' THEN 'write' ELSE 'admin' END)
    END
$$;
