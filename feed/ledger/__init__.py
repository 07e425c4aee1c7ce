"""The keep-alive ledger: each SIM with its rule, deadline, cost per year and what hangs on it.

One shape for the JSON API, `simfeed export-sims` and the page's download.
It sits beside the service: it joins the log's view of each SIM with the calendar's wording.
"""
