#!/bin/sh
# Volunteer presentations through a real Dovecot: offers, slots, agenda,
# materials, the record of experiences.
exec /usr/bin/python3 "$(dirname "$0")/test_presentations.py"
