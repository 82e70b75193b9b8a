"""Accounts: users, sessions, passwords, throttles, row scope and the audit trail."""
