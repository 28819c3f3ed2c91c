"""Qudao (渠道): channel supply chain and customer relationships, end to end."""

__version__ = "0.1.0"
