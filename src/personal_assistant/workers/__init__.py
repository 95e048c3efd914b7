"""The procrastinate app, its task domains, middleware, retry policies and supervision."""
