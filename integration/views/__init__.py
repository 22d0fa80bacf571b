"""The integration app's pages, one module per subject; ``integration.urls`` names them."""
