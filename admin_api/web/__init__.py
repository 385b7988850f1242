"""What the two faces of the app share: the JSON API (``admin_api.routes``) and the pages
(``admin_api.console`` for staff, ``admin_api.public`` for everyone).

Below both, importing neither: the request's database scopes (:mod:`.sessions`), the
languages (:mod:`.i18n`), the Jinja2 setup (:mod:`.pages`), the security headers
(:mod:`.headers`), safe downloads (:mod:`.downloads`), the client's address
(:mod:`.clients`) and the base of the app's ASGI middlewares (:mod:`.middleware`).
``tests/test_architecture.py`` keeps it that way.
"""
