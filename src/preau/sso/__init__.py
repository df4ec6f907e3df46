"""Single sign-on: the CAS server (sso.cas) and the OpenID Connect provider (sso.oidc)."""
