"""Pure rules of customer service: no framework, no database, no I/O."""
