"""Python 2 code: ``/`` between integers was integer division, so these sizes were ints.
The next line is how gradverify knows the file is Python 2 (a print statement):
print "a Python 2 file"
"""

import numpy as np

xrange = range


def max_pool_forward_naive(x, pool_param):
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    out_h, out_w = 1 + (h - ph) / stride, 1 + (w - pw) / stride
    rows = np.arange(out_h) * stride  # a float array under Python 3
    out = np.zeros((n, c, len(rows), len(np.arange(out_w))))
    index = np.zeros(3, dtype=np.int64)
    index += rows[:3]  # float64 into int64: refused
    return out, (x, pool_param)
