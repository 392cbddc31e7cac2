"""OSC (Open Sound Control) for a VJ rig: the address tree latentvj answers (pure logic,
``addresses``) and the UDP listener and sender (``io``, python-osc's codec). The live
session wires them to the parameters, triggers and beat clock. No Qt."""
