#!/usr/bin/python3
"""What a Python script would do: smtplib, one connection, one sendmail
per message.

    /usr/bin/python3 bench/smtplib-fanout.py COUNT PORT MESSAGE-FILE

Sends the bytes of MESSAGE-FILE COUNT times to 127.0.0.1:PORT, each to
its own recipient."""

import smtplib
import sys


def main():
    count, port, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with open(path, "rb") as f:
        data = f.read()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        for i in range(count):
            s.sendmail("agenda@conferencia.example.org",
                       ["m%d@mides.example.org" % i], data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
