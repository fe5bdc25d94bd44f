"""gradverify's engine: compares the NumPy implementations with their torch references."""
