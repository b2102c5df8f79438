#!/bin/sh
# Trust through a real Dovecot: forged mail changes nothing, genuine
# replies from the four client families still work.
exec /usr/bin/python3 "$(dirname "$0")/test_trust.py"
