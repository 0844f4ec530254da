"""The control plane: rooms, agent dispatch and LiveKit webhooks (served by dispatcher.py)."""
