"""The HTTP adapter: FastAPI app factory, dependencies, security, routes and schemas."""

from referral_api.api.app import create_app

__all__ = ["create_app"]
