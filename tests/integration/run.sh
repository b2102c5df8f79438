#!/bin/sh
# convened run under a NOTIFY_SOCKET: READY, STATUS, SIGHUP, SIGTERM.
exec /usr/bin/python3 "$(dirname "$0")/test_run.py"
