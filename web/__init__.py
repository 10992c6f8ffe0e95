"""The web app for editors and approvers: server-rendered pages (Jinja2, htmx) over the same services as api/."""
