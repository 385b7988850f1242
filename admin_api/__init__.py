"""The triage API (staff's cases, figures and accounts): FastAPI over the storage core, and nothing else.

``app.create_app(core)`` builds the application; ``server`` serves it with uvicorn.
Routes live in ``routes/``, request and response models in ``schemas/``; ``deps`` holds
the request's unit of work, the signed-in staff member and the role guards; ``errors``
maps every error to JSON; ``limits`` caps request bodies; ``metrics`` counts requests.
No SQL here: queries live in ``storage.repositories``, rules in ``storage.services``.
"""
