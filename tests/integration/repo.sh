#!/bin/sh
# The repository's git history through a simulated stretch of a year, by
# mail through real SMTP and Dovecot: authors, kill -9 recovery, pushes.
exec /usr/bin/python3 "$(dirname "$0")/test_repo.py"
