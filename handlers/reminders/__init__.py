"""The reminder ladder: who is reminded of what, when, and in which words. No channel, no clock.

``plan(store, catalogs, start, end)`` (plan.py) turns the calendar (handlers/calendar.py) and the
store's submissions into candidate messages whose send time falls in [start, end]; ``due(candidates,
now, sent)`` picks the ones to send at ``now``. bot/reminders/engine.py runs it on a timer and sends.
Rooms: config.py (the ladder's settings, quiet hours), world.py (the store read once per plan,
what is missing), plan.py (the stages, as small functions), texts.py (every Thai text), charts.py
(the charts of the weekly digest: which, chosen when queued; drawn through the Renderer port when sent).

The ladder (defaults; a catalog may override with a top-level ``reminders:`` mapping, see Config):

- reporters of a unit that has not sent a figure due at a cutoff: 3 days before, 1 day before and
  the morning of the cutoff ("d-3", "d-1", "d0"); after it an overdue notice ("overdue");
- after a grace period, the unit's chief (or, without one, the parent unit's) is told what is
  missing ("escalate");
- coordinators: a digest on the morning of and the day after each cutoff ("digest-d0",
  "digest-d1"), per KPI the units still missing, naming people the bot cannot reach;
- chiefs: a weekly digest ("weekly"): score, band, KPIs at risk of dropping a level; then its charts
  (``Planned.charts``): a provincial chief the districts' ranking, a district chief the unit's levels.

Every message has a unique key (person, deadline key, stage). Messages of one (person, deadline
key) form a series: a later stage supersedes an earlier one, so after downtime only the latest
useful stage goes out, never a burst. Each stage is useful until its ``until`` (for reminders
before a cutoff: the end of the cutoff day). Quiet hours (20:00-07:00) send nothing; a send time
inside them moves to their end. Muted and unreachable people are not planned; a snoozed person's
messages wait for the snooze to end (and are dropped if no longer useful by then).
Reminder days avoid weekends and Thai public holidays (they move earlier; digests after a
cutoff and escalations move later). Texts are rendered on demand (``Planned.text``), so the
engine renders them before it opens a write transaction.
"""

from __future__ import annotations

from .config import Config
from .plan import Planned, due, plan
from .texts import dear
from .world import Item

__all__ = ["Config", "Planned", "Item", "plan", "due", "dear"]
