"""Hearth's ActivityPub protocol library.

Signatures, keys, discovery, vocabulary builders and parsers, safe fetching and the
delivery client. It depends only on the standard library, httpx and cryptography and
never imports the application (``server``); storage plugs in through ``typing.Protocol``s.
"""
