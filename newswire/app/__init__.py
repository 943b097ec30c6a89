"""The entry points, the top layer: the CLI (``cli``), the read API and reader page
(``api``), the operator tools (``ops``), the pipeline assembly (``pipeline``, ``stages``)
and the demo (``demo``). They import the stages and the floor; nothing imports them."""
