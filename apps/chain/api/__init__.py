"""Chain API: thin views over the chain selectors and services."""
