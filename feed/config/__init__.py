"""The TOML file to the model: loading, SIM tables, problems, presets, the watcher."""
