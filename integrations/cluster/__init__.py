"""Workers that heal themselves: a supervisor runs django-q2's cluster as a child process group,
watches it through a task ledger, and restarts it when it wedges (README, "Workers that heal
themselves")."""
