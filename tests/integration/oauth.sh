#!/bin/sh
# OAuth 2.0 against Dovecot, smtpd.py and tokenserver.py on loopback.
exec /usr/bin/python3 "$(dirname "$0")/test_oauth.py"
