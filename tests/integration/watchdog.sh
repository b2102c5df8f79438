#!/bin/sh
# The watchdog: WATCHDOG=1 during a long cycle that makes progress, none
# while the SMTP server stalls longer than the interval.
exec /usr/bin/python3 "$(dirname "$0")/test_watchdog.py"
