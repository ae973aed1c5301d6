"""The email channel: raw RFC 5322 mail in, customer messages out."""
