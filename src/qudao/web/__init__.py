"""Server-rendered web pages (Jinja2 + htmx) on top of the area services."""
