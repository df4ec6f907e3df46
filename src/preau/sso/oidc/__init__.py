"""Préau's OpenID Connect provider: glue over django-oauth-toolkit (claims, scopes, keys, the
consent page, the required actions before a code, RP-initiated logout). See
docs/oidc-integration.md."""
