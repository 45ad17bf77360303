"""One router per resource; JSON routes under ``/api/v1``, pages at the root."""
