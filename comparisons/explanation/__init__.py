"""Explaining a failure: ``search`` finds the smallest failing case and renders it with its
triangulation, diagnosis and error pattern; ``stages`` captures every intermediate of the
torch reference with its gradient (the flat-backprop view)."""
