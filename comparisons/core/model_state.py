"""State that a model's constructor cannot take, set on each fresh model (``ModelLoss.prepare``).

These run inside the sandbox worker when a user's model is checked, and the worker never
imports torch: so they live here, outside ``gradverify.specs`` (whose modules import the
torch references).
"""

from __future__ import annotations

from typing import Any

from gradverify.core.sampling import Sample


def set_running_stats(model: Any, sample: Sample) -> None:
    """Give each batchnorm layer the sample's running statistics (copies: a train step may
    update them in place)."""
    for i, bn_param in enumerate(model.bn_params, start=1):
        bn_param["running_mean"] = sample[f"running_mean{i}"].copy()
        bn_param["running_var"] = sample[f"running_var{i}"].copy()
