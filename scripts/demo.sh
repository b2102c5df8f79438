#!/bin/sh
# make demo: a simulated year of the plan of work's groups, by mail, on
# loopback servers this script starts and stops (see scripts/demo.py).
exec /usr/bin/python3 "$(dirname "$0")/demo.py"
