"""State of the simulated Infor M3 system."""
