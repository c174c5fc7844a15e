"""gradlab's speed machinery, kept apart from the readable code it speeds up.

- :mod:`~gradlab._fast.buffers`: a pool of large work arrays with explicit ownership (the
  fused ops take arrays and give them back; a graph node gives its arrays back when the
  engine frees it after backward), and a shared read-only zeros buffer for ReLU.
- :mod:`~gradlab._fast.allocator`: glibc's ``mallopt`` settings that keep freed memory in the
  process between steps; applied only when asked (:func:`gradlab.configure_allocator`, called
  by :class:`gradlab.train.Trainer` and the ``gradlab`` command).
- :mod:`~gradlab._fast.compiled`: the optional compiled kernels (numba, ``pip install
  'gradlab[fast]'``): one-pass optimizer updates, 2x2 max pooling, the recurrent layers'
  pointwise gate math. Each has a NumPy reference beside the code it replaces, and the tests
  compare them; without numba, or with ``GRADLAB_KERNELS=numpy``, gradlab runs the references.
- :mod:`~gradlab._fast.two_threads`: one helper thread, started on first use, that shares an
  optimizer step's compiled updates with the caller's thread.

Importing this package changes nothing in the process: no library is loaded, no thread is
started and numba is imported only when a kernel is first needed.
"""
