"""The response desk: the staff side of reports (for now: the list, reading, replying)."""
