"""Channel adapters: each turns its wire format into `InboundMessage` and an `OutboundMessage`
back into its wire format. See docs/adding-a-channel.md."""
