"""deeplearning.ai Deep Learning Specialization: hand-written NumPy answer key."""
