"""Audio: offline analysis (librosa), the built-in demo track, audio file loading. No Qt."""
