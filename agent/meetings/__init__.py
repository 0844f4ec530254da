"""Scheduled meetings: invitations (ICS by email), reminders, the agent joining on time.

- :mod:`.model`: the HTTP and CLI request models.
- :mod:`.ics`: the invitation's iCalendar file (REQUEST, updates, CANCEL).
- :mod:`.links`: signed, expiring personal join links.
- :mod:`.mail`: the emails, enqueued in the outbox (each once).
- :mod:`.service`: create, reschedule, cancel (store, scheduler and mail together).
- :mod:`.runner`: what a fired job does (remind, join, no-show), each once.
- :mod:`.scheduler`: APScheduler in the dispatcher, its jobs in the store's database,
  fired by one dispatcher replica at a time.
- :mod:`.routes`: the dispatcher's meeting API and join page.
- :mod:`.assistant`: the meeting assistant (a meeting in assistant mode), in the worker.

The flow engine imports nothing from here.
"""
