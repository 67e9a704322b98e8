"""The reminder engine: ticks, the two-phase outbox and pacing; what to send is planned in handlers/reminders."""
