"""Deadlines into iCalendar: wording, the builder, the feed cache."""
