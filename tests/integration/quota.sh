#!/bin/sh
# Quota and coordination-rule warnings through a simulated year, the annual
# report in every format and the calendar feeds, against a real SMTP server.
exec /usr/bin/python3 "$(dirname "$0")/test_quota.py"
