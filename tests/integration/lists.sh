#!/bin/sh
# Every group a mailing list through a real Dovecot and SMTP: posts,
# moderation, loops, a flood (issue 20).
exec /usr/bin/python3 "$(dirname "$0")/test_lists.py"
