"""Alembic migrations for Qudao (run with ``qudao db upgrade``)."""
