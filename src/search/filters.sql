      AND ($3::uuid IS NULL OR s.project_id = $3)
      AND (($4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL
            AND $7::timestamptz IS NULL AND $8::timestamptz IS NULL)
           OR EXISTS (SELECT FROM project_resources r
                      WHERE r.id = s.document_id
                        AND ($4::text IS NULL OR r.kind = $4)
                        AND ($5::text IS NULL OR $5 = ANY (r.tags))
                        AND ($6::text IS NULL OR r.added_by = $6)
                        AND ($7::timestamptz IS NULL OR r.created_at >= $7)
                        AND ($8::timestamptz IS NULL OR r.created_at < $8)))
      AND ($13::text IS NULL OR coalesce((SELECT w.state FROM document_workflow w
                                          WHERE w.document_id = s.document_id), 'wip') = $13)
