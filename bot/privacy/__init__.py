"""Personal data: found and removed before a message is stored or logged (see README "What we keep")."""
