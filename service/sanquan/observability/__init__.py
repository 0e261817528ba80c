"""What an operator sees of the running service: one access-log line per request (its id,
operation, account, duration, database statements and error codes), the Prometheus
metrics at ``/metrics``, and how both are set up."""
