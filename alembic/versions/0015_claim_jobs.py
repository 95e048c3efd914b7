"""One statement that claims many jobs: set-based when ageing cannot change the order.

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

# The eligibility rule of pa_fetch_job (revision 0012). Within one snapshot only the head
# of each lock is eligible, so a set of eligible jobs never holds two jobs of one lock.
ELIGIBLE = (Path(__file__).with_name("sql") / "pa_eligible_job_v1.sql").read_text(encoding="utf-8")

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
    -- Both ends come from the priority index.
    IF ageing_seconds > 0
       AND (SELECT min(priority) <> max(priority) FROM procrastinate_jobs WHERE status = 'todo')
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
