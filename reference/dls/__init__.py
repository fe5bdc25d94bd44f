"""deeplearning.ai Deep Learning Specialization: torch forward references."""
