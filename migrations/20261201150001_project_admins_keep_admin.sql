-- Project admins keep admin on every document, like owners (decision
-- 0048): a document ACL such as `role:viewer admin, role:admin none` can no
-- longer lock the project's administrators out. Same rule as
-- `permissions::effective` in Rust.
CREATE OR REPLACE FUNCTION stockage_permission(document uuid, member text, member_role text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN member_role IS NULL THEN 'none'
        WHEN member_role IN ('owner', 'admin') THEN 'admin'
        ELSE coalesce(
            (SELECT a.permission FROM document_acl a
              WHERE a.document_id = document AND a.principal = 'user:' || member),
            (SELECT a.permission FROM document_acl a
              WHERE a.document_id = document AND a.principal = 'role:' || member_role),
            CASE member_role WHEN 'viewer' THEN 'read' WHEN 'editor' THEN 'write' ELSE 'admin' END)
    END
$$;
