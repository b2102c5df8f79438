#!/bin/sh
# Bounces of our own making: convened agrees with Sisimai (libsisimai-perl).
exec /usr/bin/python3 "$(dirname "$0")/test_bounce_oracle.py"
