"""Every social profile write. One module per concern; import from the module (e.g. `services.media`)."""
