"""The engine's core: one case of one op, judged against its torch reference. No I/O.

- ``spec``: an op as data (``OpSpec``); ``declare.op`` builds one from its functions;
  ``roles`` says which inputs play which part; ``sampling`` draws seeded samples.
- ``adapters``: the API styles of hand-written code, each turned into one pure call.
- ``reference_eval``: the torch reference's outputs and autograd gradients.
- ``finite_diff``: the implementation's own finite differences (the third opinion).
- ``tolerances``, ``comparison``: when two arrays agree, and by how much they differ.
- ``diagnosis``: why a quantity fails; ``judge``: the verdict on one quantity.
- ``engine``: ``check_case``, every quantity of one case; ``records``/``status``: its rows.
- ``model_state``: helpers that set model state (running averages) for specs.
"""
