"""Frontdesk: a self-hostable voice-agent platform on LiveKit Agents."""
