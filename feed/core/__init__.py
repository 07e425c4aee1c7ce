"""Pure domain: the model, durations, value parsers, deadlines; depends on nothing else in feed."""
