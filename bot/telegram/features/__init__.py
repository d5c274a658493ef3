"""One module per feature, each owning its handlers, button routes and keyboards."""
