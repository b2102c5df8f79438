#!/bin/sh
# Open seminars through a real Dovecot and SMTP: announcement, seats,
# waiting list, one refusal, floods bounded.
exec /usr/bin/python3 "$(dirname "$0")/test_seminars.py"
