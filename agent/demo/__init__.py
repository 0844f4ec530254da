"""The demo call: a simulated caller phones the agent through a real LiveKit server."""
