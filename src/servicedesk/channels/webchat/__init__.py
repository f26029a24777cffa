"""Web chat: the embeddable widget's WebSocket protocol, the in-process hub, the transport."""
