"""State of the simulated Salesforce system."""
