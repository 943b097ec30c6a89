"""``python -m newswire.app.cli``: the same as the ``newswire`` console script."""

from newswire.app.cli.main import app

app()
