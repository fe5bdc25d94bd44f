"""Red team (attack 3): a student file that the tests save as ``colorsys.py`` in a batch
folder. If the batch folder were on another student's import path, that student's
``import colorsys`` would run this file, which breaks numpy for them. Each submission's
worker has only its own folder on its path (a batch file: none) and may read only its own
files: the victim imports the real ``colorsys`` and keeps its passes."""

import numpy as np

np.maximum = lambda a, b: a * 0 - 1  # the victim's ReLU now returns garbage
SHADOWED = True
