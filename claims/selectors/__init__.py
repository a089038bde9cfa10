"""Reads for articles and claims, one module per page that shows them (queue, dashboard, claim page,
article page). Every selector runs a fixed number of queries whatever the amount of data (tests assert
it). The ingest command's JSON lives with the command; sources' reads in sources/selectors.py."""
