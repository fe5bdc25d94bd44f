"""Hand-written NumPy neural-network code with hand-derived gradients."""
