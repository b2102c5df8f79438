#!/bin/sh
# Replies through a real Dovecot: RSVPs, agenda, minutes, bounces.
exec /usr/bin/python3 "$(dirname "$0")/test_replies.py"
