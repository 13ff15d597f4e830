-- One round trip to start an append transaction: take the append lock,
-- then (with a snapshot taken after the lock) read the head of the log and
-- the current version of each stream about to be written.
CREATE FUNCTION stockage_begin_append(lock_key bigint, streams uuid[])
RETURNS TABLE (head_position bigint, head_hash bytea, stream uuid, version bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY
        WITH head AS (
            SELECT e.position, e.hash FROM events e ORDER BY e.position DESC LIMIT 1
        ), versions AS (
            SELECT e.stream_id, max(e.stream_version) AS v
            FROM events e WHERE e.stream_id = ANY (streams) GROUP BY e.stream_id
        )
        SELECT h.position, h.hash, s.stream_id, s.v
        FROM (SELECT 1) AS one
        LEFT JOIN head h ON true
        LEFT JOIN versions s ON true;
END;
$$;
