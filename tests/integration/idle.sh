#!/bin/sh
# Idle groups left alone change nothing that is sent: the example
# configuration through seven weeks, with and without the groups' rows of
# what is due, against a real SMTP server.
exec /usr/bin/python3 "$(dirname "$0")/test_idle.py"
