"""Every execution, newest first: job attempts, schedule fires and AI task runs."""
