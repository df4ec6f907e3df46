"""The mobile application: paired devices, their tokens, pairing grants and the mobile API."""
