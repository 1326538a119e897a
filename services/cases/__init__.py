"""Cases: the unit appointments, notes, billing, portal access and messages hang on."""
