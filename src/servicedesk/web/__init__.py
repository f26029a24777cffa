"""HTTP: the REST API, the pages and (later) WebSockets. Thin: parse, authorise, call, render."""
