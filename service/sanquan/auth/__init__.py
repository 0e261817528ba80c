"""Accounts, bearer tokens and who may do what (rules R22, R24)."""
