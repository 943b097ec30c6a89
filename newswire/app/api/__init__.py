"""The HTTP read API over the item store: JSON endpoints, an OpenAPI document and
a small HTML page to search and read articles. Built by :func:`newswire.app.api.app.create_app`;
``newswire api`` serves it with uvicorn."""
