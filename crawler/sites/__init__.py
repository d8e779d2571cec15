"""Site configurations for scheduled crawls (settings/sites/*.toml)."""
