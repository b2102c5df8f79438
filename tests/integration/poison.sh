#!/bin/sh
# Outages of the environment waited out and told once, a poison message
# quarantined, and what one mail may bring bounded: through real servers.
exec /usr/bin/python3 "$(dirname "$0")/test_poison.py"
