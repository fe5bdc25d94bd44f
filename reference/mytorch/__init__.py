"""CMU 11-785 MyTorch: torch forward references."""
