#!/bin/sh
# Server faults: SMTP refusals at every stage, lost and stalled connections;
# IMAP drops, stalls, a refused MOVE, no MOVE, a missing folder, UIDVALIDITY.
exec /usr/bin/python3 "$(dirname "$0")/test_faults.py"
