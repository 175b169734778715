"""Read models, one per concept, built from ORM rows: what the API answers and what events carry.

Both ``rtcc.runtime`` (which publishes events) and ``web`` (routes) import them from here.
"""
