"""Dreaming (seed 004) on videos and pictures, offline: ``main.py dream``, its frame
pipeline (extract, dream with resume, assemble with the source's sound) and command line.
The algorithm is ``app.engine.dream``, the networks ``app.engine.dream_nets`` (which the
live dream effect uses too). No Qt."""
