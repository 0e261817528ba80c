"""The rolling three-year rotation (rules R1–R8): which institutions are reviewed in which
quarter, in which session, by which experts."""
