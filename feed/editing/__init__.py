"""Editing the config file from the page: the form's fields, tomlkit edits, safe saves with undo.

The TOML file stays the source of truth: an edit touches only the lines of its
SIM, is validated by the same parser as at start-up, and is written atomically.
"""
