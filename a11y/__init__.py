"""Accessibility page checks applied to every HTML response in the test suite."""

from a11y.checks import ERROR_PREFIXES, assert_page_ok, check_page, is_full_document

__all__ = ["ERROR_PREFIXES", "assert_page_ok", "check_page", "is_full_document"]
