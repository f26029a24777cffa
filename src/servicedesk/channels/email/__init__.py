"""The email channel. `parse`, `threading` and `compose` are pure: bytes in, values out, no I/O.

Receiving and sending (SMTP, IMAP) live elsewhere and call these.
"""
