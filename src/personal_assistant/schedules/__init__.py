"""Schedules stored in the database, editable at runtime: the Celery Beat replacement.

A dispatcher job, which any number of workers may run at once, defers each due run with
``schedule_at`` equal to its exact time. ``schedule_fires`` holds one row per
(schedule, time): that uniqueness, plus ``FOR UPDATE SKIP LOCKED`` on the schedule row, is
why a run fires exactly once with no leader.
"""
