"""Review sessions (点评工作会) and their self, peer and expert scores (rules R8–R16)."""
