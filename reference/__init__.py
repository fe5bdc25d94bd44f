"""PyTorch forward-only counterparts of impl/; autograd supplies the gradients."""
