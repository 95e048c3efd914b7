"""Observability for operators: metrics, health and readiness, alerts, queue statistics.

``metrics`` counts jobs in the worker; ``snapshot`` reads the queue's state from the
database; ``http`` serves both to Prometheus and to health probes; ``health``,
``alerts`` and ``stats`` back ``pa-tasks health``, the ``evaluate_alerts`` task and
``pa-tasks stats``.
"""
