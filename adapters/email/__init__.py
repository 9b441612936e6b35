"""Email: IMAP for inbound mail, SMTP for replies, threads from the References chain."""
