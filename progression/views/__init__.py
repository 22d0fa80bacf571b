"""The progression app's pages, one module per subject; ``progression.urls`` names them."""
