"""Applications: end-to-end experiments (train, evaluate, plot) that the examples and the
lab run, one per file (``gan_mixture``, ``medical_diagnosis``, ``recommendation``,
``seq2seq_reverse``, ...)."""
