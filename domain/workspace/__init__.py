"""The workspace aggregate: its events, phases, commands and decider."""
