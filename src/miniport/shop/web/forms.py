"""The shop's HTML form posts, read strictly (``miniport.common.forms``) within its limits."""

from __future__ import annotations

from miniport.common.forms import FormData, FormError, form_reader

MAX_FORM_BYTES = 32 * 1024
MAX_FIELDS = 32

read_form = form_reader(max_bytes=MAX_FORM_BYTES, max_fields=MAX_FIELDS)

__all__ = ["MAX_FIELDS", "MAX_FORM_BYTES", "FormData", "FormError", "read_form"]
