"""The European Learning Model: its vocabulary, reading and building its JSON, Annex I."""
