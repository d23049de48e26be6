"""The v1 JSON API: routes, problem+json errors, middleware; see :func:`.app.install_api`."""
