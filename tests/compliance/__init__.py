"""Self-tests of the compliance suite: it passes the reference provider and catches broken ones."""
