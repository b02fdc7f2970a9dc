"""Authorization: users, JWTs, the API key, oneshot tokens, trusted clients, CORS.

``AuthorizationService.authenticate`` is the one place a client's credentials
are judged; the HTTP side (``moontwist.resources.guard``) and the websocket
identify call feed it, and the registry check enforces it on every call.
"""

from moontwist.services.authorization.service import AuthorizationService, Credentials
from moontwist.services.authorization.users import API_KEY_USER, TRUSTED_USER

__all__ = ["API_KEY_USER", "TRUSTED_USER", "AuthorizationService", "Credentials"]
