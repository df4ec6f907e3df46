"""Example services that sign in through Préau (not part of the ``preau`` package)."""
