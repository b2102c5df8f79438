#!/bin/sh
# Scheduling polls through a real Dovecot and SMTP: ballots, tally, CONFIRM.
exec /usr/bin/python3 "$(dirname "$0")/test_polls.py"
