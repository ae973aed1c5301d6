"""The email channel: mail in (an MTA pipe or IMAP), answers out by SMTP, on one conversation."""
