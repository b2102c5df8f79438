#!/bin/sh
# One cycle at a time: two once together, run beside once, once --wait,
# a killed holder; counted per Message-ID at a real SMTP server.
exec /usr/bin/python3 "$(dirname "$0")/test_lock.py"
