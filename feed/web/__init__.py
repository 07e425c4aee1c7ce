"""The HTTP layer: blueprints for feeds, the API and the page, and what they share."""
