"""The email channel: mail from customers in, replies out."""
