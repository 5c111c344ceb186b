"""The prod-local stack's mail relay: SMTP with mandatory STARTTLS, delivering into a directory.

    python deploy/prod-local/smtp_sink.py --port 9446 --cert server.pem --key server.key \\
        --outbox var/prod-local/outbox

Production sends one-time codes by email over TLS (prod.py: EMAIL_URL smtp+tls://); this
stands in for the relay so the bank's real mail path runs unchanged: Django's SMTP backend,
STARTTLS, certificate verification (the bank's processes trust the prod-local CA through
SSL_CERT_FILE). It accepts nothing before STARTTLS (530), and writes each message as it
arrived, one `.eml` file per message (0600), where bank_client/demo_customer.py reads the code,
as it reads the demo's outbox. No relaying, no authentication, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import ssl
import time
from pathlib import Path

MAX_MESSAGE_BYTES = 1024 * 1024


class Session:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 tls: ssl.SSLContext, outbox: Path) -> None:
        self.reader, self.writer, self.tls, self.outbox = reader, writer, tls, outbox
        self.secure = False
        self.sender: str | None = None
        self.recipients: list[str] = []

    async def reply(self, *lines: str) -> None:
        for line in lines:
            self.writer.write(line.encode() + b"\r\n")
        await self.writer.drain()

    async def run(self) -> None:
        await self.reply("220 prod-local-smtp ESMTP")
        while True:
            raw = await self.reader.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb in {"EHLO", "HELO"}:
                extensions = [] if self.secure else ["STARTTLS"]
                extensions.append(f"SIZE {MAX_MESSAGE_BYTES}")
                lines = ["prod-local-smtp", *extensions]
                await self.reply(*[f"250-{x}" for x in lines[:-1]], f"250 {lines[-1]}")
            elif verb == "STARTTLS" and not self.secure:
                await self.reply("220 Ready to start TLS")
                await self.writer.start_tls(self.tls)
                self.secure, self.sender, self.recipients = True, None, []
            elif verb == "QUIT":
                await self.reply("221 Bye")
                return
            elif verb in {"NOOP", "RSET"}:
                self.sender, self.recipients = None, []
                await self.reply("250 OK")
            elif not self.secure:
                await self.reply("530 Must issue a STARTTLS command first")
            elif verb == "MAIL":
                self.sender, self.recipients = argument, []
                await self.reply("250 OK")
            elif verb == "RCPT" and self.sender is not None:
                self.recipients.append(argument)
                await self.reply("250 OK")
            elif verb == "DATA" and self.recipients:
                await self.reply("354 End data with <CR><LF>.<CR><LF>")
                await self.data()
            else:
                await self.reply("503 Bad sequence of commands")

    async def data(self) -> None:
        body = bytearray()
        while True:
            line = await self.reader.readline()
            if not line or line in {b".\r\n", b".\n"}:
                break
            # RFC 5321 §4.5.2: a leading dot was doubled by the sender.
            body += line[1:] if line.startswith(b"..") else line
            if len(body) > MAX_MESSAGE_BYTES:
                await self.reply("552 Message too big")
                return
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        path = self.outbox / f"{stamp}{time.time_ns() % 10**9:09d}-{secrets.token_hex(4)}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(body))
        self.sender, self.recipients = None, []
        await self.reply("250 OK: delivered")


async def serve(port: int, tls: ssl.SSLContext, outbox: Path) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await Session(reader, writer, tls, outbox).run()
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--outbox", type=Path, required=True)
    args = parser.parse_args()
    args.outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(args.cert, args.key)
    asyncio.run(serve(args.port, tls, args.outbox))


if __name__ == "__main__":
    main()
