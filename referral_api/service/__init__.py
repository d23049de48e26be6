"""The use cases: what the API, the pages and the command line do, each in one place.

One module per family — recommendations (recommend and record), outcomes, catalogue edits and
activation, keys, audit, gap reports. Each use case is a plain function (or small class) that
takes a unit of work (a SQLAlchemy ``Session``) and the engine and returns domain values;
``api/``, ``web/`` and ``cli/`` call these and never each other (see ARCHITECTURE.md).
"""
