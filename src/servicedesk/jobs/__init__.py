"""Background work: outbox delivery now; SLA clocks, surveys and warnings later."""
