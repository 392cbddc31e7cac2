"""Dreaming (seed 004): DeepDream on pictures and videos, offline (``main.py dream``), with
the networks people own (a latentvj-trained DCGAN's discriminator: dream with the network
that judged your own dataset). The algorithm is ``app.engine.dream``; this package finds
the networks and runs the frame pipeline. No Qt."""
