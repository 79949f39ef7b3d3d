"""Sharing threat intelligence between providers: the TAXII 2.1 hub (``share.hub``) and its clients."""
