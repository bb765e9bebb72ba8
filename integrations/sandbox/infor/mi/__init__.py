"""The simulated MI programs: one module per program family, and the runtime that runs them."""
