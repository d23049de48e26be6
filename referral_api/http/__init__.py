"""What the two HTTP doors (``api/`` and ``web/``) share: the named FastAPI dependencies.

Application state (settings, database, engines, record writer, metrics, clock, admission) is
set once by :func:`referral_api.server.create_app` and read only through these dependencies.
"""
