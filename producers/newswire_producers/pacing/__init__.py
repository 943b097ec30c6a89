"""When to poll: the next poll of a feed (``next_poll``), per-host politeness and budgets
(``politeness``, shared across replicas by ``redis_budget``), and the clock they read."""
