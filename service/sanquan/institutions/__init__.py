"""Institutions (高校): the pool that review sessions draw from."""
