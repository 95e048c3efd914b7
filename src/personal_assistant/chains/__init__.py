"""Sequences of jobs: each step is deferred when its predecessor succeeds."""
