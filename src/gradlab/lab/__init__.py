"""The lab: what sits on top of the framework to run the course's experiments.

``gradlab.lab.reproduce`` holds the notes' worked examples (``gradlab reproduce``). Submodules
are imported on use, so ``import gradlab.lab`` stays cheap and needs no optional dependency.
"""
