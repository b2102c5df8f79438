#!/bin/sh
# The public site after a stretch of the year by mail: rendered by headless
# Chromium, tidy-clean, every link inside it, nothing members-only in it.
exec /usr/bin/python3 "$(dirname "$0")/test_site.py"
