"""Rasa's ``events`` table (SQLTrackerStore), declared once for the project's own queries.

Rasa creates and writes the table; the project only reads it (analytics, feedback) and
deletes from it (retention, erasure: :mod:`bot.privacy`). The declaration has its own
MetaData: the project's ``make_engine()`` must never create (or own) Rasa's table.
``tests/unit/test_rasa_events.py`` checks it against Rasa's own definition.
"""

from __future__ import annotations

import sqlalchemy as sa

rasa_metadata = sa.MetaData()

events = sa.Table(
    "events",
    rasa_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)
"""The columns the project uses, as Rasa 3.6 declares them."""
