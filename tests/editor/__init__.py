"""Helpers of tests/test_editor_completion.py: an LSP client and the pinned yaml-language-server."""
