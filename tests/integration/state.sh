#!/bin/sh
# Never a silent fresh start: damaged states refused, --init, backup taken
# while a cycle sends and restored, modes.
exec /usr/bin/python3 "$(dirname "$0")/test_state.py"
