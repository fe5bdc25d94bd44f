"""Like assignment 3's gan_pytorch.py: PyTorch code needing a package the checker lacks.
``Flatten`` is a MyTorch name, not a CS231n one: it must not make this file count."""

import gradverify_fixture_absent_vision as vision  # stands for torchvision


class Flatten:
    def forward(self, x):
        return vision.flatten(x)


def sample_noise(batch_size, dim):
    return vision.rand(batch_size, dim)
