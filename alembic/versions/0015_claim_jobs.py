"""One statement that claims many jobs: set-based when ageing cannot change the order.

Revision ID: 0015_claim_jobs
Revises: 0014_mcp
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015_claim_jobs"
down_revision: str | Sequence[str] | None = "0014_mcp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The eligibility rule of pa_fetch_job (revision 0012), frozen here as this revision
# wrote it: due, in a wanted queue, queue not paused, and procrastinate's lock rule. Within
# one snapshot only the head of each lock is eligible, so a set of eligible jobs never
# holds two jobs of one lock.
ELIGIBLE = """
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
"""

CLAIM_FUNCTION = f"""
CREATE FUNCTION pa_claim_jobs(
    include_queues character varying[],
    exclude_queues character varying[],
    p_worker_id bigint,
    ageing_seconds double precision,
    wanted integer
)
    RETURNS SETOF procrastinate_jobs
    LANGUAGE plpgsql
AS $$
-- Up to ``wanted`` jobs, marked doing for p_worker_id. With one priority level waiting
-- (or ageing off) the order is procrastinate's, and one UPDATE claims them all. With
-- several levels, ageing may reorder them: pa_fetch_job picks one at a time, each call
-- seeing the claims before it, and the loop stops at the first miss.
DECLARE
    claimed procrastinate_jobs;
BEGIN
    IF wanted < 1 THEN
        RETURN;
    END IF;
    IF ageing_seconds > 0
       AND (SELECT priority FROM procrastinate_jobs WHERE status = 'todo'
             ORDER BY priority DESC LIMIT 1)
           IS DISTINCT FROM
           (SELECT priority FROM procrastinate_jobs WHERE status = 'todo'
             ORDER BY priority ASC LIMIT 1)
    THEN
        FOR attempt IN 1..wanted LOOP
            claimed := pa_fetch_job(include_queues, exclude_queues, p_worker_id, ageing_seconds);
            EXIT WHEN claimed.id IS NULL;
            RETURN NEXT claimed;
        END LOOP;
        RETURN;
    END IF;
    RETURN QUERY
    WITH picked AS (
        SELECT j.id FROM procrastinate_jobs AS j
         WHERE {ELIGIBLE}
         ORDER BY j.priority DESC, j.id ASC
         LIMIT wanted
           FOR UPDATE OF j SKIP LOCKED
    ), updated AS (
        UPDATE procrastinate_jobs AS j SET status = 'doing', worker_id = p_worker_id
          FROM picked
         WHERE j.id = picked.id
        RETURNING j.*
    )
    SELECT * FROM updated ORDER BY priority DESC, id ASC;
END;
$$;
"""


def upgrade() -> None:
    op.execute(CLAIM_FUNCTION)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION pa_claim_jobs(character varying[], character varying[], bigint,"
        " double precision, integer)"
    )
