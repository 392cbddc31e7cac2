"""MIDI: message parsing, controller maps, controls with soft takeover, learn, MIDI clock in,
and the rtmidi inputs (python-rtmidi). The MIDI session owns the controller map. No Qt."""
