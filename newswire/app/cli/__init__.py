"""The ``newswire`` command line."""
