"""Repositories: every query of the domain lives here, and nowhere else."""
