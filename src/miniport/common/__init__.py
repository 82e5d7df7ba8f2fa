"""Pieces every miniport service shares: database base, settings base, tokens, i18n, CSRF."""
