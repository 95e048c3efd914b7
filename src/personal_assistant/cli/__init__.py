"""The ``pa-tasks`` admin command line: one module per command group."""
