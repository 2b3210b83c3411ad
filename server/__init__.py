"""The Hearth application: web pages, JSON API, domain services, storage and the CLI."""

__version__ = "0.1.0"
