#!/bin/sh
# Proposals (Apple's too), aliases and delegation through a real Dovecot.
exec /usr/bin/python3 "$(dirname "$0")/test_proposals.py"
