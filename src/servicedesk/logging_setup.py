"""Logging with personal data masked: no log line carries a whole phone or ID number."""

from __future__ import annotations

import logging

from servicedesk.domain.pii import mask_text


class MaskPII(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskPII())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
