-- A job is eligible when it waits in one of the wanted queues, is due, its queue is not
-- paused, and procrastinate's lock rule lets it start (same rule as
-- procrastinate_fetch_job_v2). A condition on the row aliased j, within a function that
-- has include_queues and exclude_queues. Frozen: a new rule is a new file.
    j.status = 'todo'
    AND (include_queues IS NULL OR j.queue_name = ANY(include_queues))
    AND (exclude_queues IS NULL OR NOT j.queue_name = ANY(exclude_queues))
    AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
    AND NOT EXISTS (
        SELECT 1 FROM queue_controls qc WHERE qc.queue = j.queue_name AND qc.paused
    )
    AND NOT EXISTS (
        SELECT 1 FROM procrastinate_jobs AS other
         WHERE j.lock IS NOT NULL AND other.lock = j.lock
           AND (other.status = 'doing'
                OR (other.status = 'todo'
                    AND (other.priority > j.priority
                         OR (other.priority = j.priority AND other.id < j.id))))
    )
