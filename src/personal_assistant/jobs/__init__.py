"""Services over procrastinate's job tables: inspect, control, rescue and retention."""
