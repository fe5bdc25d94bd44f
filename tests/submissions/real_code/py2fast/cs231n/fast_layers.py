# Stands for the 2016 course file: Python 2, so Python 3 cannot import it.
try:
  from cs231n.im2col_cython import col2im_cython, im2col_cython
except ImportError:
  print 'run the following from the cs231n directory and try again:'
  print 'python setup.py build_ext --inplace'


def conv_forward_fast(x, w, b, conv_param):
  raise NotImplementedError
