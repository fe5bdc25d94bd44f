"""CMU 11-785 MyTorch: hand-written NumPy answer key."""
