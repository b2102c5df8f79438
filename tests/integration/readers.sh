#!/bin/sh
# What other readers make of our mail: Python's email parser, python3-icalendar,
# ical.js when node has it (encoded words, header lines, DST gap and fold).
exec /usr/bin/python3 "$(dirname "$0")/test_readers.py"
