"""``[authorization]`` options."""

from __future__ import annotations

from moontwist.config.options import OURS, Option, SectionOptions
from moontwist.services.authorization.ratelimit import DEFAULT_MAX_ATTEMPTS

AUTHORIZATION = SectionOptions(
    "authorization",
    "Who may call the API: trusted addresses, API key, users and logins, CORS.",
    (
        Option("login_timeout", "int", 90, "Days a refresh token stays valid.", minval=1),
        Option("force_logins", "bool", False, "Once a user exists, trusted addresses must log in too."),
        Option("default_source", "str", "moonraker", "Where users are checked: `moonraker` or `ldap`."),
        Option("enable_api_key", "bool", True, "Accept the API key (`X-Api-Key` header, `api_key` argument)."),
        Option("max_login_attempts", "int", DEFAULT_MAX_ATTEMPTS,
               "Failed logins allowed per address before it is refused (Moonraker: unlimited).", minval=1),
        Option("cors_domains", "list", [], "Origins allowed to call the API from a browser (`*` wildcard)."),
        Option("trusted_clients", "list", [],
               "Addresses, networks (CIDR) and host names trusted without a login; none by default."),
        Option("trusted_proxies", "list", [],
               "Reverse proxies whose `X-Forwarded-For`/`X-Real-IP` name the real client.", origin=OURS),
    ),
)
