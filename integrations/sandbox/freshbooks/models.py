"""State of the simulated FreshBooks system."""
