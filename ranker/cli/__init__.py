"""The headless command line: `phototriage <subcommand>` (never imports Qt)."""
