#!/bin/sh
# SIGKILL at random moments while sending 2,000 invitations and reading 500 replies.
exec /usr/bin/python3 "$(dirname "$0")/test_crash.py"
