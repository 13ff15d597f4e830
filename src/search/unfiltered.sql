      AND ($3::uuid IS NULL OR s.project_id = $3)
      -- No filter but the project: its generic plan is as good as a
      -- custom one, so it is planned once per connection.
      AND $4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL
      AND $7::timestamptz IS NULL AND $8::timestamptz IS NULL AND $13::text IS NULL
