"""Red team (attack 1): re-export gradverify's own correct solutions. The import blocker
refuses ``gradverify.impl`` in every mode (``forbidden_import``)."""

from gradverify.impl.cs231n.layers import affine_backward, affine_forward, relu_backward, relu_forward  # noqa: F401
