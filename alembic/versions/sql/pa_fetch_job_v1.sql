CREATE FUNCTION pa_fetch_job(
    include_queues character varying[],
    exclude_queues character varying[],
    p_worker_id bigint,
    ageing_seconds double precision
)
    RETURNS procrastinate_jobs
    LANGUAGE plpgsql
AS $$
-- Each priority level offers its next job (lowest id); that job counts one priority
-- higher per ageing_seconds it has waited (since it was due, or deferred). Levels are
-- walked with the priority index, so the cost grows with the number of levels, not jobs.
DECLARE
    candidate record;
    picked_id bigint;
    found_job procrastinate_jobs;
BEGIN
    -- With one priority level waiting, ageing cannot change the order: skip its walk
    -- (both ends come from the priority index).
    IF ageing_seconds > 0
       AND (SELECT priority FROM procrastinate_jobs WHERE status = 'todo'
             ORDER BY priority DESC LIMIT 1)
           IS DISTINCT FROM
           (SELECT priority FROM procrastinate_jobs WHERE status = 'todo'
             ORDER BY priority ASC LIMIT 1)
    THEN
        FOR candidate IN
            WITH RECURSIVE levels(p) AS (
                (SELECT priority FROM procrastinate_jobs
                  WHERE status = 'todo' ORDER BY priority DESC LIMIT 1)
                UNION ALL
                SELECT (SELECT priority FROM procrastinate_jobs
                         WHERE status = 'todo' AND priority < levels.p
                         ORDER BY priority DESC LIMIT 1)
                  FROM levels WHERE levels.p IS NOT NULL
            ), heads AS (
                SELECT head.id, head.priority, head.waiting_since
                  FROM levels
                  CROSS JOIN LATERAL (
                    SELECT j.id, j.priority,
                           COALESCE(j.scheduled_at,
                                    (SELECT min(e.at) FROM procrastinate_events e
                                      WHERE e.job_id = j.id AND e.type = 'deferred'),
                                    now()) AS waiting_since
                      FROM procrastinate_jobs AS j
                     WHERE j.priority = levels.p AND {ELIGIBLE}
                     ORDER BY j.id LIMIT 1
                  ) AS head
                 WHERE levels.p IS NOT NULL
            )
            SELECT id FROM heads
             ORDER BY priority + floor(
                        GREATEST(EXTRACT(EPOCH FROM now() - waiting_since), 0) / ageing_seconds
                      ) DESC,
                      priority DESC, id ASC
        LOOP
            SELECT id INTO picked_id FROM procrastinate_jobs
             WHERE id = candidate.id AND status = 'todo'
               FOR UPDATE SKIP LOCKED;
            EXIT WHEN picked_id IS NOT NULL;
        END LOOP;
    END IF;

    IF picked_id IS NULL THEN
        -- No ageing, or other workers hold every head: procrastinate's own order.
        SELECT j.id INTO picked_id FROM procrastinate_jobs AS j
         WHERE {ELIGIBLE}
         ORDER BY j.priority DESC, j.id ASC LIMIT 1
           FOR UPDATE OF j SKIP LOCKED;
    END IF;

    IF picked_id IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE procrastinate_jobs SET status = 'doing', worker_id = p_worker_id
     WHERE id = picked_id
    RETURNING * INTO found_job;
    RETURN found_job;
END;
$$;
