"""Evidence rendering: pyvis case graphs and evidence packages."""
