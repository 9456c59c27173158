"""Accounts: licenses, agents, customers, and the tokens that identify them."""
