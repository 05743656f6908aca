#!/usr/bin/env python3
"""A real SMTP server on 127.0.0.1 for the email integration tests.

Usage: smtp_sink.py --port N --dir DIR [--temp-fail N] [--perm-fail]
                    [--drop-after-data | --late-reply SECONDS]

--port 0 lets the system pick a free port. Once listening it prints
"READY <port>" on stdout and runs until killed.

--temp-fail N answers the first N DATA commands with 451 (then accepts);
--perm-fail answers every RCPT with 550. --drop-after-data files each
message, then drops the connection without its final reply (a relay that
crashes or is cut there); --late-reply files it, then waits SECONDS before
the reply. Each refusal is appended to
DIR/rejected.log. Each accepted message N (1, 2, ...) is written as:
  N.eml      the raw bytes received (CRLF line ends, dot-unstuffed)
  N.env      envelope: "from <address>" then one "to <address>" line per recipient
  N.decoded  headers decoded by Python's email package (RFC 2047 words
             decoded, one "Name: value" line each), "X-Sink-Defects: <count>",
             a blank line, then the decoded text body with LF line ends
The .eml file is written last, by rename, so a reader never sees half a message.
"""

import argparse
import asyncio
import email
import email.policy
import os
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, directory, temp_fail, perm_fail, drop_after_data, late_reply):
        self.directory = directory
        self.temp_fail = temp_fail
        self.perm_fail = perm_fail
        self.drop_after_data = drop_after_data
        self.late_reply = late_reply
        self.accepted = 0

    def _reject(self, stage, reply):
        with open(os.path.join(self.directory, "rejected.log"), "a", encoding="utf-8") as log:
            log.write(f"{stage} {reply}\n")
        return reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.perm_fail:
            return self._reject("RCPT", "550 5.1.1 mailbox unavailable")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.temp_fail > 0:
            self.temp_fail -= 1
            return self._reject("DATA", "451 4.3.0 try again later")
        self.accepted += 1
        base = os.path.join(self.directory, str(self.accepted))
        raw = envelope.original_content
        with open(base + ".env", "w", encoding="utf-8") as env:
            env.write(f"from {envelope.mail_from}\n")
            for rcpt in envelope.rcpt_tos:
                env.write(f"to {rcpt}\n")
        with open(base + ".decoded", "w", encoding="utf-8", newline="\n") as out:
            out.write(decode(raw))
        with open(base + ".eml.tmp", "wb") as eml:
            eml.write(raw)
        os.rename(base + ".eml.tmp", base + ".eml")
        if self.drop_after_data:
            server.transport.abort()
        if self.late_reply:
            await asyncio.sleep(self.late_reply)
        return "250 2.0.0 accepted"


def decode(raw):
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        lines = [f"{name}: {value}" for name, value in message.items()]
        defects = len(message.defects)
        body = message.get_content() if message.get_content_maintype() == "text" else ""
        body = body.replace("\r\n", "\n")
    except Exception as error:  # a broken message is a test finding, not a server crash
        lines, defects, body = [f"X-Sink-Decode-Error: {error!r}"], 1, ""
    lines.append(f"X-Sink-Defects: {defects}")
    return "\n".join(lines) + "\n\n" + body


async def serve(args):
    handler = Handler(args.dir, args.temp_fail, args.perm_fail, args.drop_after_data, args.late_reply)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp-sink.test", enable_SMTPUTF8=True),
        host="127.0.0.1",
        port=args.port,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--temp-fail", type=int, default=0)
    parser.add_argument("--perm-fail", action="store_true")
    parser.add_argument("--drop-after-data", action="store_true")
    parser.add_argument("--late-reply", type=float, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
