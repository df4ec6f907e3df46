"""The sign-in benchmark's ceiling: Préau's settings and middleware, a sign-in that stores nothing.

``python -m bench server`` serves this configuration (``DJANGO_SETTINGS_MODULE =
"bench.ceiling.settings"``) beside the real one. ``POST /connexion`` checks the CSRF token, parses
the form, verifies the password of the bench's hash with Argon2 (Préau's hasher and parameters)
and redirects: no throttle, no session, no audit row, no database at all. What it reaches is what
a sign-in could reach on this machine if storing it cost nothing.
"""
