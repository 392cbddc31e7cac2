"""MIDI input, mapping, learn and clock (python-rtmidi). No Qt. Arrives with the MIDI issue."""
