"""CS231n's computations as torch ops, forward only: autograd supplies every gradient."""
