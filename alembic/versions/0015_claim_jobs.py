"""One statement that claims many jobs, with the rules of pa_fetch_job.

Revision ID: 0015_claim_jobs
Revises: 0014_mcp
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0015_claim_jobs"
down_revision: str | Sequence[str] | None = "0014_mcp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).with_name("sql")
# The eligibility rule of pa_fetch_job (revision 0012). Within one snapshot only the head
# of each lock is eligible, so a set of eligible jobs never holds two jobs of one lock.
ELIGIBLE = (SQL / "pa_eligible_job_v1.sql").read_text(encoding="utf-8")
# pa_fetch_job, which pa_claim_jobs replaces (a fetch is a claim of one job).
FETCH_FUNCTION = (SQL / "pa_fetch_job_v1.sql").read_text(encoding="utf-8")
FETCH_SIGNATURE = "pa_fetch_job(character varying[], character varying[], bigint, double precision)"

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
-- Up to ``wanted`` jobs, marked doing for p_worker_id, by one UPDATE. With one priority
-- level waiting (or ageing off) the order is procrastinate's. With several, a job counts
-- one priority higher per ageing_seconds it has waited (since it was due, or deferred),
-- as pa_fetch_job counted: the first ``wanted`` eligible jobs of each level (by id, through
-- the priority index) are ranked by the priority they have earned, and the best taken.
--
-- Each branch locks and claims in one statement: a locking SELECT followed by a shared
-- UPDATE measured 0.4 ms slower per claim (ops/bench/flow.py).
BEGIN
    IF wanted < 1 THEN
        RETURN;
    END IF;
    -- Both ends come from the priority index.
    IF ageing_seconds > 0
       AND (SELECT min(priority) <> max(priority) FROM procrastinate_jobs WHERE status = 'todo')
    THEN
        RETURN QUERY
        WITH RECURSIVE levels(p) AS (
            (SELECT priority FROM procrastinate_jobs
              WHERE status = 'todo' ORDER BY priority DESC LIMIT 1)
            UNION ALL
            SELECT (SELECT priority FROM procrastinate_jobs
                     WHERE status = 'todo' AND priority < levels.p
                     ORDER BY priority DESC LIMIT 1)
              FROM levels WHERE levels.p IS NOT NULL
        ), candidates AS (
            SELECT c.id, c.priority,
                   c.priority + floor(
                       GREATEST(EXTRACT(EPOCH FROM now() - c.waiting_since), 0) / ageing_seconds
                   ) AS earned
              FROM levels
             CROSS JOIN LATERAL (
                SELECT j.id, j.priority,
                       COALESCE(j.scheduled_at,
                                -- Through the job's own events only: an index on the type
                                -- would visit every waiting job's 'deferred' event.
                                (SELECT min(e.at) FILTER (WHERE e.type = 'deferred')
                                   FROM procrastinate_events e WHERE e.job_id = j.id),
                                now()) AS waiting_since
                  FROM procrastinate_jobs AS j
                 WHERE j.priority = levels.p AND {ELIGIBLE}
                 ORDER BY j.id LIMIT wanted
             ) AS c
             WHERE levels.p IS NOT NULL
        ), best AS (
            SELECT id, earned, priority FROM candidates
             ORDER BY earned DESC, priority DESC, id ASC LIMIT wanted
        ), picked AS (
            SELECT j.id FROM procrastinate_jobs AS j JOIN best ON best.id = j.id
             WHERE j.status = 'todo'
               FOR UPDATE OF j SKIP LOCKED
        ), updated AS (
            UPDATE procrastinate_jobs AS j SET status = 'doing', worker_id = p_worker_id
              FROM picked
             WHERE j.id = picked.id
            RETURNING j.*
        )
        SELECT updated.* FROM updated JOIN best ON best.id = updated.id
         ORDER BY best.earned DESC, best.priority DESC, best.id ASC;
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
    op.execute(f"DROP FUNCTION {FETCH_SIGNATURE}")


def downgrade() -> None:
    op.execute(FETCH_FUNCTION.replace("{ELIGIBLE}", ELIGIBLE))
    op.execute(
        "DROP FUNCTION pa_claim_jobs(character varying[], character varying[], bigint,"
        " double precision, integer)"
    )
