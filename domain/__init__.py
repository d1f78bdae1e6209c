"""Berth's pure model: aggregates, commands, events and state machines. No IO, no asyncio."""
