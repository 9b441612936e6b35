"""`inbox webhooks serve`: the platforms that push (Meta's Pages and Instagram) deliver here."""
