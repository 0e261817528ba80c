"""The plugin host: discovers indicator-set plugins and calls their hooks."""
