"""Phone calls through livekit-sip: provisioning trunks and dispatch rules from the
tenant files, outbound calls and transfers. The flow engine never imports this package."""
