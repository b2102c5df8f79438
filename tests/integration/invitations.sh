#!/bin/sh
# Invitations, updates and cancellations against a real SMTP server.
exec /usr/bin/python3 "$(dirname "$0")/test_invitations.py"
