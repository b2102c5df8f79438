#!/bin/sh
# convened inspect over every fixture, real and our own.
exec /usr/bin/python3 "$(dirname "$0")/test_inspect.py"
