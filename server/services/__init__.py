"""Domain services: the rules of accounts, groups and membership, independent of HTTP."""
