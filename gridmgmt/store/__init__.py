"""Persistence: SQLAlchemy 2 models, sessions and migrations.

SQLite (geometry as WKB, no extension) by default; PostgreSQL + PostGIS by URL.
"""
