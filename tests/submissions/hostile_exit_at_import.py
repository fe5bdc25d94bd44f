"""Hostile: exit with status 0 while being imported (``import_error``)."""

import os

os._exit(0)
