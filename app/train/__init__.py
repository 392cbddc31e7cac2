"""DCGAN training on image folders and video frames, job files, training timelapses, and
the session the Train tab polls. No Qt."""
