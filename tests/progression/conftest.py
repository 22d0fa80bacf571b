"""The integration tests' client and page helpers, for the progression tests too.

The personas themselves (``caseworker_a``, ``administrator``, ...) live in
``tests/conftest.py`` and are seen from here already.
"""

from tests.integration.conftest import (
    client_as,
    fast_password_hashing,
    parse_page,
    text_with_class,
)

__all__ = ["client_as", "fast_password_hashing", "parse_page", "text_with_class"]
