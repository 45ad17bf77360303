"""One function per user action: load from the store, run an engine, save, audit.

Every service takes an :class:`~gridmgmt.services.actor.Actor` and scopes what it reads and
writes to the actor's counties. The CLI acts as :data:`~gridmgmt.services.actor.SYSTEM`
(a local administrator who sees every county); the API acts as the logged-in user.
"""
