"""Préau's CAS 1.0/2.0/3.0 server: tickets, validation, proxying and single logout."""
