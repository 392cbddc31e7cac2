"""Audio: file loading, offline analysis (librosa), the built-in demo track, live input in a
capture process, the shared ring, the online analyzer and its thread, file playback. No Qt."""
