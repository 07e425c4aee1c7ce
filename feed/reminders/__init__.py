"""Reminders that reach the phone: what is sent, when, and the one-tap "I have renewed it" link."""
