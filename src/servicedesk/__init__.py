"""servicedesk — an intelligent, standardized customer-service platform."""

__version__ = "0.1.0"
