"""Moderation: the audit trail of moderator and admin actions, worded for people.

Each audited action is recorded with `audit.record` in the transaction of the change; each
domain registers how its targets are named and how its actions read (`wording`).
"""
