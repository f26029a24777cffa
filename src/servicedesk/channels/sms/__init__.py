"""Text messages (verification codes, notifications) through a provider interface."""
