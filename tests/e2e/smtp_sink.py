"""A local SMTP server that keeps every message it is sent, for the scheduled-export email."""

from __future__ import annotations

import email
import email.policy
import logging
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class _Keeper:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


class SMTPSink:
    """``SMTPSink(port).start()``; ``wait_for(predicate)`` returns the first message that
    matches, waiting for it to arrive."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.keeper = _Keeper()
        self.controller = Controller(self.keeper, hostname=host, port=port)

    def start(self) -> SMTPSink:
        # aiosmtpd logs every connection at INFO, its own readiness probe included.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.keeper.lock:
            return list(self.keeper.messages)

    def wait_for(self, predicate, timeout: float) -> EmailMessage | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if predicate(message):
                    return message
            time.sleep(0.25)
        return None
