#!/bin/sh
# A hostile message's memory: convened inspect under /usr/bin/time -v on
# generated header, part, nesting, attachment and calendar bombs.
exec /usr/bin/python3 "$(dirname "$0")/test_memory.py"
