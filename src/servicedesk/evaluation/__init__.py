"""`servicedesk eval`: measured figures of the assistant, on the shared data sets and our own."""
