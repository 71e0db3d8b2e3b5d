"""What every run holds and clears up at its start (foundation): the run lock, and a killed run's leftovers."""
