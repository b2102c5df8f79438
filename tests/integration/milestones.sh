#!/bin/sh
# Milestones through a real Dovecot and SMTP: reminders, DONE, overdue.
exec /usr/bin/python3 "$(dirname "$0")/test_milestones.py"
