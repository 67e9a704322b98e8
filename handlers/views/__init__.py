"""Views: answers that read the store and show, never store a figure.

One module a question: score (unit card, the province at a glance, overview, coordinator view), missing,
deadlines, criteria, risk (at risk, trend), charts and files (drawn by the ports.Renderer, bot/exports).
Each is a function `answer(store, catalogs, ctx, u[, renderer]) -> list[Reply]` the conversation dispatches to;
only the criteria view may write state, and only its "which KPI?" question (see views.criteria).
"""
