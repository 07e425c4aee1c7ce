"""The keep-alive on autopilot: simfeed sends the qualifying text itself, records it, and reminds
only when that fails."""
