"""The renewal log: the store, recording renewals, records for export."""
