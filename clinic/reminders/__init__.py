"""Reminders and alerts delivered exactly once by email or text message (docs/architecture.md, "Reminders").

- `models`: the Reminder row; `registry`: the kinds the apps register; `services`: schedule, move, cancel, retry;
  `preferences`: a patient's channel, quiet hours and opt-out; `delivery`: claim and send; `channels`: email and
  text message; `staff_alerts`: care-team alerts (Notification rows) by email; `api`, `views`: the interfaces.
"""
