#!/bin/sh
# Envelope senders that name their message, through a real SMTP server
# and Dovecot: a bounce in no known format reaches the right member.
exec /usr/bin/python3 "$(dirname "$0")/test_verp.py"
