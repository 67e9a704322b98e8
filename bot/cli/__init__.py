"""The command line, one module per command group: `main` (kpibot), `admin` (org, invite, agreement),
`parse`, `reminders`, `demo`."""
