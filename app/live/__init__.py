"""The live session's front ends and composition, above the engine, audio and MIDI (issue
25 moves the live engine's wiring, patch session, command language and recording here).
Today: the headless front end (``live --headless``). No Qt."""
