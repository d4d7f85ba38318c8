"""The study report: one self-contained HTML file per data cut, rendered from Jinja2 templates (``templates/``)
with the numbers prepared in Python (``study`` assembles it from the marts)."""
