"""State of the simulated Shop system."""
